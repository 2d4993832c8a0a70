"""UDP adapter on loopback, port 0, IPv4 and IPv6 (RFC 3261 §18, RFC 3581)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from sipwarden.sip import Response, parse_datagram
from sipwarden.transport.address import Address
from tests.integration.conftest import run, udp_responder

pytestmark = pytest.mark.timeout(30)


def options(host: str, port: int, branch: str, extra: str = "") -> bytes:
    sent_by = f"[{host}]" if ":" in host else host
    return (
        f"OPTIONS sip:ping@{sent_by} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {sent_by}:{port};rport;branch=z9hG4bK{branch}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:t@example.com>;tag=1\r\nTo: <sip:ping@example.com>\r\n"
        f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.queue.put_nowait(data)


async def client(host: str) -> tuple[asyncio.DatagramTransport, Client]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    loop = asyncio.get_running_loop()
    return await loop.create_datagram_endpoint(Client, local_addr=(host, 0), family=family)


async def ask(t: asyncio.DatagramTransport, c: Client, data: bytes, to: Address) -> bytes:
    t.sendto(data, (to.host, to.port))
    async with asyncio.timeout(3):
        return await c.queue.get()


async def round_trip(host: str) -> None:
    async with udp_responder(host) as server:
        t, c = await client(host)
        port = t.get_extra_info("sockname")[1]
        reply = parse_datagram(await ask(t, c, options(host, port, "a1"), server.local))
        assert isinstance(reply, Response) and reply.status == 200
        assert reply.top_via.rport == port and reply.top_via.received == host
        t.close()


def test_options_round_trip(loopback: str) -> None:
    run(round_trip(loopback))


async def hostile(host: str) -> None:
    async with udp_responder(host) as server:
        t, c = await client(host)
        port = t.get_extra_info("sockname")[1]
        to = (server.local.host, server.local.port)
        t.sendto(b"\x00garbage\xff" * 10, to)
        t.sendto(b"\r\n\r\n", to)
        headers = "".join(f"X-H{i}: v\r\n" for i in range(2000))
        bad = parse_datagram(await ask(t, c, options(host, port, "h1", headers), server.local))
        assert isinstance(bad, Response) and bad.status >= 400
        big = options(host, port, "b1", "X-Big: " + "a" * 65000 + "\r\n")
        assert len(big) > 64 * 1024 - 500
        answered = parse_datagram(await ask(t, c, big, server.local))
        assert isinstance(answered, Response) and answered.status == 200
        good = parse_datagram(await ask(t, c, options(host, port, "g1"), server.local))
        assert isinstance(good, Response) and good.status == 200
        counts = server.counters.snapshot()
        assert counts["parse_error_dropped"] == 1 and counts["keepalive"] == 1
        assert counts["parse_error_answered"] == 1
        t.close()


def test_hostile_datagrams_then_good_request(loopback: str) -> None:
    run(hostile(loopback))
