"""Messages, an identity and drivers for proxy core tests (a fake clock is a float)."""

from __future__ import annotations

from sipwarden.proxy import Interface, ProxyEvent, ProxyIdentity, ResponseContext
from sipwarden.sip import Request, Response, SipUri, build_response, parse_datagram
from sipwarden.sip.uri import Uri

HOST = "proxy.example.com"
SECRET = b"0123456789abcdef-test-secret"
INTERFACES = (
    Interface("udp", "ipv4", "192.0.2.10", 5060),
    Interface("tcp", "ipv4", "192.0.2.10", 5060),
    Interface("tls", "ipv4", "192.0.2.10", 5061),
    Interface("udp", "ipv6", "[2001:db8::10]", 5060),
)
UDP4 = ("udp", "ipv4")
TCP4 = ("tcp", "ipv4")
TLS4 = ("tls", "ipv4")
UDP6 = ("udp", "ipv6")


def is_self(uri: Uri) -> bool:
    """Our domain or addresses, on the default or our listening ports."""
    if not isinstance(uri, SipUri):
        return False
    ours = uri.host.lower() in (HOST, "192.0.2.10", "[2001:db8::10]")
    return ours and uri.port in (None, 5060, 5061)


def identity(host: str | None = None) -> ProxyIdentity:
    interfaces = INTERFACES if host is None else (Interface("udp", "ipv4", host, 5060),)
    names = {HOST} if host is None else {host}
    check = is_self if host is None else (lambda u: isinstance(u, SipUri) and u.host in names)
    return ProxyIdentity(interfaces, check, SECRET)


def parse_request(text: str) -> Request:
    message = parse_datagram(text.replace("\n", "\r\n").encode())
    assert isinstance(message, Request)
    return message


def make_request(
    method: str = "INVITE",
    uri: str = "sip:bob@proxy.example.com",
    *,
    extra: str = "",
    max_forwards: int | None = 70,
    to_tag: str = "",
    call_id: str = "a84b4c76e66710@pc33.atlanta.example",
    top_via: str = "SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8",
) -> Request:
    mf = "" if max_forwards is None else f"Max-Forwards: {max_forwards}\n"
    return parse_request(
        f"{method} {uri} SIP/2.0\n"
        f"Via: {top_via}\n"
        f"{mf}"
        "From: Alice <sip:alice@atlanta.example>;tag=1928301774\n"
        f"To: Bob <sip:bob@proxy.example.com>{to_tag}\n"
        f"Call-ID: {call_id}\n"
        f"CSeq: 314159 {method}\n"
        "Contact: <sip:alice@pc33.atlanta.example>\n"
        f"{extra}"
        "Content-Length: 0\n\n"
    )


def downstream(
    request: Request, status: int, *, to_tag: str = "b1", headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    """A response to a forwarded copy as it arrives back (with our Via on top)."""
    response = build_response(request, status, to_tag=to_tag, headers=headers)
    parsed = parse_datagram(response.serialize())
    assert isinstance(parsed, Response)
    return parsed


def with_our_via(request: Request, branch_id: int) -> Request:
    """The copy a branch sends: the request with a Via of ours on top."""
    copy = parse_datagram(request.serialize())
    assert isinstance(copy, Request)
    copy.push_via(f"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKswtest.{branch_id};rport")
    return copy


def reply(
    context: ResponseContext, request: Request, branch_id: int, status: int, now: float, **kw: str
) -> None:
    """Feed branch `branch_id` a `status` response."""
    to_tag = kw.get("to_tag", f"t{branch_id}")
    response = downstream(with_our_via(request, branch_id), status, to_tag=to_tag)
    context.on_response(branch_id, response, now)


def drain(context: ResponseContext) -> list[ProxyEvent]:
    events = []
    while (event := context.next_event()) is not None:
        events.append(event)
    return events


def kinds(events: list[ProxyEvent]) -> list[str]:
    return [type(e).__name__ for e in events]
