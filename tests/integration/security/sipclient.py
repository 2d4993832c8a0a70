"""A small SIP-over-UDP client for attacking the running server from chosen loopback addresses.

Linux routes all of 127.0.0.0/8 to the loopback, so each attacker and each legitimate client
binds its own 127.0.0.N and the shield sees different sources.
"""

from __future__ import annotations

import hashlib
import itertools
import socket
from dataclasses import dataclass, field

from sipwarden.sip import Response, parse_datagram
from sipwarden.sip.digest import Challenge

_counter = itertools.count(1)


@dataclass
class SipClient:
    """One UDP socket on `source`, talking to the proxy at 127.0.0.1:`port`."""

    source: str
    port: int
    user_agent: str = "sipwarden-tests"
    timeout: float = 1.0
    sock: socket.socket = field(init=False)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.source, 0))
        self.sock.settimeout(self.timeout)

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()

    def request(
        self,
        method: str,
        uri: str,
        *,
        from_user: str = "probe",
        to_user: str | None = None,
        call_id: str | None = None,
        cseq: int = 1,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> bytes:
        n = next(_counter)
        to = f"sip:{to_user}@127.0.0.1" if to_user else uri
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.source}:{self.local_port};branch=z9hG4bKatk{n};rport",
            "Max-Forwards: 70",
            f"From: <sip:{from_user}@127.0.0.1>;tag=t{n}",
            f"To: <{to}>",
            f"Call-ID: {call_id or f'attack-{n}@{self.source}'}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{from_user}@{self.source}:{self.local_port}>",
            f"User-Agent: {self.user_agent}",
            *(f"{name}: {value}" for name, value in extra),
            "Content-Length: 0",
            "",
            "",
        ]
        return "\r\n".join(lines).encode()

    def send(self, data: bytes) -> Response | None:
        """Send `data`; its final response (same Call-ID and CSeq: a retransmitted answer to
        an earlier request is skipped), or None when nothing came back in time."""
        sent = parse_datagram(data)
        self.sock.sendto(data, ("127.0.0.1", self.port))
        while True:
            try:
                reply = parse_datagram(self.sock.recv(65535))
            except TimeoutError:
                return None
            if not isinstance(reply, Response) or reply.status < 200:
                continue
            if reply.call_id == sent.call_id and reply.cseq.seq == sent.cseq.seq:
                return reply

    def options(self) -> Response | None:
        return self.send(self.request("OPTIONS", f"sip:127.0.0.1:{self.port}"))


def digest(challenge: Challenge, method: str, uri: str, user: str, password: str) -> str:
    """An MD5 `Authorization`/`Proxy-Authorization` value answering `challenge` (RFC 7616)."""
    realm, nonce = challenge.realm or "", challenge.nonce or ""
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    cnonce, nc = "0a4f113b", "00000001"
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"'
    )


def register(client: SipClient, user: str, password: str) -> Response | None:
    """A REGISTER answered by a 401, then sent again with `password`: the final answer."""
    uri = f"sip:127.0.0.1:{client.port}"
    call_id = f"reg-{next(_counter)}@{client.source}"
    first = client.send(
        client.request("REGISTER", uri, from_user=user, to_user=user, call_id=call_id)
    )
    if first is None or first.status != 401:
        return first
    challenge = first.www_authenticate[0]
    auth = digest(challenge, "REGISTER", uri, user, password)
    again = client.request(
        "REGISTER",
        uri,
        from_user=user,
        to_user=user,
        call_id=call_id,
        cseq=2,
        extra=(("Authorization", auth),),
    )
    return client.send(again)


def invite(client: SipClient, user: str, password: str, callee: str) -> Response | None:
    """An INVITE from `user` to `callee`@127.0.0.1: 407, then with credentials; the answer."""
    uri = f"sip:{callee}@127.0.0.1:{client.port}"
    call_id = f"call-{next(_counter)}@{client.source}"
    first = client.send(client.request("INVITE", uri, from_user=user, call_id=call_id))
    if first is None or first.status != 407:
        return first
    challenge = first.proxy_authenticate[0]
    auth = digest(challenge, "INVITE", uri, user, password)
    again = client.request(
        "INVITE",
        uri,
        from_user=user,
        call_id=call_id,
        cseq=2,
        extra=(("Proxy-Authorization", auth),),
    )
    return client.send(again)
