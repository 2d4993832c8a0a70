#!/usr/bin/env python3
"""The `sipwarden run` hot paths in one process, without sockets: repeatable CPU per message.

The real server (`start_server`, the same stores, dispatcher, registrar, proxy) is started on a
data directory holding the harness's users; its UDP listener's socket is swapped for a fake that
records what is sent, and datagrams are fed to `datagram_received` as uvloop would. Two
scenarios, shaped like ../shared/bench's SIPp scenarios:
- `register`: REGISTER -> 401 -> REGISTER with digest -> 200 (2 received messages);
- `call`: INVITE through a location lookup to a registered UAS, 100/180/200 back, ACK and BYE
  record-routed, the BYE's 200 (6 received messages: INVITE, 180, 200, ACK, BYE, 200; SIPp's
  UAS sends no 100, so neither does this one).

Usage: python benchmarks/hotpath.py [register|call] [--count N] [--profile FILE] [--cdr]
       [--gap MS]
`--gap MS` sleeps MS ms after each datagram, as the proxy idles between datagrams at a real
rate: the same work then costs 2-5x more CPU (caches gone cold; the figure also holds the
sleep's own ~35 us system time), which is what vs_kamailio.py measures.
Prints `<scenario>: <us> us CPU per received msg` (process time, the minimum of 3 rounds).
No sockets are used, so this measures the Python work per message, not the syscalls.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from vs_kamailio import CONFIG as VS_KAMAILIO_CONFIG  # benchmarks/ is this script's path

from sipwarden.auth.compute import DigestInput, request_digest
from sipwarden.auth.hashes import ha1, hash_function
from sipwarden.config import ConfigError, Overrides, load_config
from sipwarden.server.app import start_server
from sipwarden.server.gctune import tune_gc
from sipwarden.transport.loop import new_event_loop
from sipwarden.transport.udp import UdpTransport
from sipwarden.users.store import SqliteUserStore

PROXY = ("127.0.0.1", 15060)
UAC = ("127.0.0.1", 15070)
UAS = ("127.0.0.1", 15090)
USERS = 1000
# The configuration benchmarks/vs_kamailio.py runs sipwarden with next to Kamailio (INVITEs
# not authenticated, no flood shield, no dashboard, no CDRs), so that what this harness counts
# is what that comparison measures. `--cdr` turns CDRs back on (a CSV row and a SQLite insert
# per call) to see what they cost.
CONFIG = VS_KAMAILIO_CONFIG
CDR_ON = VS_KAMAILIO_CONFIG.replace("[cdr]\nenabled = false", "[cdr]\nenabled = true")


class FakeSocket:
    """Stands in for the DatagramTransport: keeps what is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        return None

    def get_extra_info(self, name: str) -> Any:
        return PROXY


def crlf(text: str) -> bytes:
    lines = [line.strip() for line in text.strip().splitlines()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def register(user: str, n: int, cseq: int, auth: str = "") -> bytes:
    auth_line = f"Authorization: {auth}\n" if auth else ""
    return crlf(
        f"""REGISTER sip:127.0.0.1:15060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-{n}-{cseq}
        From: <sip:{user}@127.0.0.1>;tag={n}SIPpTag00{n}
        To: <sip:{user}@127.0.0.1>
        Call-ID: {n}-reg@127.0.0.1
        CSeq: {cseq} REGISTER
        Contact: <sip:{user}@127.0.0.1:15070>
        {auth_line}Max-Forwards: 70
        Expires: 3600
        User-Agent: SIPp
        Content-Length: 0"""
    )


def authorization(challenge: bytes, user: str, password: str) -> str:
    text = challenge.decode()
    realm = re.search(r'realm="([^"]*)"', text)
    nonce = re.search(r'nonce="([^"]*)"', text)
    assert realm and nonce, text
    h = hash_function("MD5")
    uri = "sip:127.0.0.1:15060"
    value = DigestInput("REGISTER", uri, nonce[1], "00000001", "abcdef", "auth")
    response = request_digest(h, ha1("MD5", user, realm[1], password), value)
    return (
        f'Digest username="{user}",realm="{realm[1]}",cnonce="abcdef",nc=00000001,'
        f'qop=auth,uri="{uri}",nonce="{nonce[1]}",response="{response}",algorithm=MD5'
    )


SDP = (
    "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


def invite(n: int) -> bytes:
    head = crlf(
        f"""INVITE sip:service@127.0.0.1:15060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-{n}-1
        From: sipp <sip:sipp@127.0.0.1:15070>;tag={n}SIPpTag00{n}
        To: service <sip:service@127.0.0.1:15060>
        Call-ID: {n}-call@127.0.0.1
        CSeq: 1 INVITE
        Contact: sip:sipp@127.0.0.1:15070
        Max-Forwards: 70
        Subject: Performance Test
        Content-Type: application/sdp
        Content-Length: {len(SDP)}"""
    )
    return head + SDP.encode()


def uas_response(request: bytes, status: str, tag: str, sdp: bool) -> bytes:
    """What SIPp's UAS answers: Via, Record-Route, From, To, Call-ID, CSeq copied."""
    lines = request.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    keep = [
        line
        for line in lines
        if line.split(b":")[0].lower() in (b"via", b"record-route", b"from", b"call-id", b"cseq")
    ]
    to = next(line for line in lines if line.lower().startswith(b"to:"))
    if b";tag=" not in to:
        to += f";tag={tag}".encode()
    body = SDP.encode() if sdp else b""
    extra = [b"Contact: <sip:127.0.0.1:15090;transport=UDP>"]
    if sdp:
        extra.append(b"Content-Type: application/sdp")
    head = [f"SIP/2.0 {status}".encode(), *keep, to, *extra]
    head.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def in_dialog(method: str, n: int, cseq: int, ok: bytes) -> bytes:
    """ACK or BYE from the UAC, routed by the 200's Record-Route (reversed: one proxy)."""
    lines = ok.split(b"\r\n\r\n")[0].split(b"\r\n")
    routes = [
        line.split(b":", 1)[1].strip().decode()
        for line in lines
        if line.lower().startswith(b"record-route:")
    ]
    to = next(line for line in lines if line.lower().startswith(b"to:")).split(b":", 1)[1].strip()
    route_line = f"Route: {', '.join(reversed(routes))}\n" if routes else ""
    return crlf(
        f"""{method} sip:127.0.0.1:15090;transport=UDP SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-{n}-{method}
        {route_line}From: sipp <sip:sipp@127.0.0.1:15070>;tag={n}SIPpTag00{n}
        To: {to.decode()}
        Call-ID: {n}-call@127.0.0.1
        CSeq: {cseq} {method}
        Contact: sip:sipp@127.0.0.1:15070
        Max-Forwards: 70
        Subject: Performance Test
        Content-Length: 0"""
    )


class Driver:
    def __init__(self, udp: UdpTransport, socket: FakeSocket, gap: float = 0.0) -> None:
        self.udp = udp
        self.socket = socket
        self.received = 0
        self.gap = gap  # seconds slept after each datagram (--gap)

    async def feed(
        self, data: bytes, source: tuple[str, int]
    ) -> list[tuple[bytes, tuple[str, int]]]:
        self.socket.sent.clear()
        self.udp.datagram_received(data, source)
        self.received += 1
        for _ in range(4):  # let the answer tasks run
            await asyncio.sleep(0)
        if self.gap:
            time.sleep(self.gap)  # idle as between datagrams in a real run: caches go cold
        return list(self.socket.sent)

    async def one_register(self, n: int) -> None:
        user = f"user{n % USERS:04d}"
        sent = await self.feed(register(user, n, 1), UAC)
        assert sent and sent[0][0].startswith(b"SIP/2.0 401"), sent
        auth = authorization(sent[0][0], user, f"pass{n % USERS:04d}")
        sent = await self.feed(register(user, n, 2, auth), UAC)
        assert sent and sent[0][0].startswith(b"SIP/2.0 200"), sent

    async def register_service(self) -> None:
        data = register("service", 0, 1).replace(b"15070", b"15090")
        sent = await self.feed(data, UAS)
        auth = authorization(sent[0][0], "service", "servicepass")
        sent = await self.feed(register("service", 0, 2, auth).replace(b"15070", b"15090"), UAS)
        assert sent[0][0].startswith(b"SIP/2.0 200"), sent

    async def one_call(self, n: int) -> None:
        sent = await self.feed(invite(n), UAC)
        forwarded = [data for data, addr in sent if addr == UAS]
        assert forwarded, sent
        request = forwarded[0]
        tag = f"uas{n}"
        await self.feed(uas_response(request, "180 Ringing", tag, False), UAS)
        sent = await self.feed(uas_response(request, "200 OK", tag, True), UAS)
        ok = next(data for data, addr in sent if addr == UAC and data.startswith(b"SIP/2.0 200"))
        await self.feed(in_dialog("ACK", n, 1, ok), UAC)
        sent = await self.feed(in_dialog("BYE", n, 2, ok), UAC)
        bye = next(data for data, addr in sent if addr == UAS)
        sent = await self.feed(uas_response(bye, "200 OK", tag, False), UAS)
        assert any(data.startswith(b"SIP/2.0 200") and addr == UAC for data, addr in sent), sent


def add_users(data_dir: Path) -> None:
    store = SqliteUserStore.open(data_dir)
    try:
        for i in range(USERS):
            store.add(f"user{i:04d}", "127.0.0.1", f"pass{i:04d}")
        store.add("service", "127.0.0.1", "servicepass")
    finally:
        store.close()


async def run(
    scenario: str,
    count: int,
    profile: str | None,
    warmup: int,
    rounds: int,
    cdr: bool,
    gap: float = 0.0,
) -> None:
    with tempfile.TemporaryDirectory(prefix="sipwarden-hot-") as tmp:
        data_dir = Path(tmp) / "data"
        add_users(data_dir)
        config_file = Path(tmp) / "c.toml"
        overrides = Overrides(data_dir=str(data_dir), domains=(), listen=("udp:127.0.0.1:0",))
        config_file.write_text(CDR_ON if cdr else CONFIG)
        try:
            config = load_config(str(config_file), overrides)
        except ConfigError:  # an older tree without [security] or [admin], for before/after runs
            config_file.write_text(CONFIG.split("[security]")[0])
            config = load_config(str(config_file), overrides)
        server = await start_server(config)
        udp = next(
            listener
            for _, listener in server.transports._listeners
            if isinstance(listener, UdpTransport)
        )
        udp._transport.close()  # type: ignore[union-attr]
        socket = FakeSocket()
        udp._transport = socket  # type: ignore[assignment]
        udp.local = type(udp.local)("UDP", *PROXY)
        driver = Driver(udp, socket, gap)
        step = driver.one_call if scenario == "call" else driver.one_register
        if scenario == "call":
            await driver.register_service()
        for n in range(warmup):
            await step(n + 1_000_000)
        tune_gc()  # as `sipwarden run` does once it is ready
        best = float("inf")
        # CPU time, not wall time: the profile stays readable on a machine shared with others.
        profiler = cProfile.Profile(time.thread_time_ns, 1e-9) if profile else None
        for round_ in range(rounds):
            driver.received = 0
            if profiler and round_ == rounds - 1:
                profiler.enable()
            start = time.process_time()
            for n in range(count):
                await step(n + round_ * count)
            spent = time.process_time() - start
            if profiler and round_ == rounds - 1:
                profiler.disable()
            best = min(best, spent / driver.received * 1e6)
        if profiler and profile:
            profiler.dump_stats(profile)
        print(f"{scenario}: {best:.1f} us CPU per received msg")
        server.stop()
        await server.transports.close()
        await server.storage.close()
        await server.state.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("register", "call"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200, help="scenarios run before timing")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (the best counts)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the last round into FILE")
    parser.add_argument("--cdr", action="store_true", help="write CDRs (off in vs_kamailio.py)")
    parser.add_argument(
        "--gap",
        type=float,
        default=0.0,
        metavar="MS",
        help="sleep MS milliseconds after each datagram (cold caches, as at a real rate)",
    )
    args = parser.parse_args()
    loop = new_event_loop()
    try:
        loop.run_until_complete(
            run(
                args.scenario,
                args.count,
                args.profile,
                args.warmup,
                args.rounds,
                args.cdr,
                args.gap / 1000,
            )
        )
    finally:
        loop.close()


if __name__ == "__main__":
    main()
