"""TCP adapter on loopback, port 0, IPv4 and IPv6 (RFC 3261 §18, §18.3 framing, RFC 5626 §3.5.1).

The helpers here (a hub-based OPTIONS responder and a stream client) are reused by the TLS, hub
and SIPp tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.transport import Received, response_destination
from sipwarden.transport.address import Address, Destination
from sipwarden.transport.connections import ConnectionLimits
from sipwarden.transport.hub import TransportConfig, Transports
from sipwarden.transport.inbound import Limits
from sipwarden.transport.loop import new_event_loop

pytestmark = pytest.mark.timeout(30)
T = TypeVar("T")
FAST = ConnectionLimits(max_per_ip=8, idle_timeout=5.0, message_timeout=0.3, connect_timeout=2.0)


def run_on(loop: str, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    """Run `coro` on a fresh uvloop ("uvloop") or asyncio ("asyncio") loop, bounded in time."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    factory = new_event_loop if loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(bounded())


class Responder:
    """A hub answering every request but ACK with 200 (RFC 3261 §8.2.6), back over the
    connection it came on (§18.2.2); it keeps what it received and each send failure."""

    def __init__(self) -> None:
        self.hub: Transports | None = None
        self.received: list[Received] = []
        self.failures: list[tuple[Destination, str, bytes]] = []
        self.answer = True

    def on_message(self, event: Received) -> None:
        self.received.append(event)
        request = event.message
        if not self.answer or not isinstance(request, Request) or request.method == "ACK":
            return
        assert self.hub is not None
        reply = build_response(request, 200)
        open_ = event.connection is not None and self.hub.is_open(event.connection)
        self.hub.send(
            reply.serialize(), response_destination(reply.top_via, event.connection, open_)
        )

    def on_send_error(self, destination: Destination, reason: str, data: bytes) -> None:
        self.failures.append((destination, reason, data))

    def local(self, proto: str) -> Address:
        assert self.hub is not None
        return next(i.local for i in self.hub.listeners if i.spec.proto == proto)

    def counts(self, proto: str) -> dict[str, int]:
        assert self.hub is not None
        spec = next(str(i.spec) for i in self.hub.listeners if i.spec.proto == proto)
        return self.hub.snapshot()[spec]


@asynccontextmanager
async def responder(
    specs: list[str],
    connection: ConnectionLimits = FAST,
    limits: Limits | None = None,
    **config: Any,
) -> AsyncIterator[Responder]:
    """A running `Responder` on `specs` (port 0), closed on exit."""
    holder = Responder()
    settings = TransportConfig(limits=limits or Limits(), connection=connection, **config)
    holder.hub = await Transports.start(specs, holder.on_message, settings, holder.on_send_error)
    try:
        yield holder
    finally:
        await holder.hub.close()


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until `condition()` holds, polling the loop every 10 ms."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def spec(proto: str, host: str) -> str:
    return f"{proto}:[{host}]:0" if ":" in host else f"{proto}:{host}:0"


def options(transport: str, host: str, port: int, branch: str, extra: str = "") -> bytes:
    sent_by = f"[{host}]" if ":" in host else host
    return (
        f"OPTIONS sip:ping@{sent_by} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {sent_by}:{port};rport;branch=z9hG4bK{branch}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:t@example.com>;tag=1\r\nTo: <sip:ping@example.com>\r\n"
        f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


class Client:
    """A raw stream client: writes bytes, reads whole messages by Content-Length (§18.3)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.port: int = writer.get_extra_info("sockname")[1]

    @classmethod
    async def open(
        cls, to: Address, tls: ssl.SSLContext | None = None, server_hostname: str | None = None
    ) -> Client:
        reader, writer = await asyncio.open_connection(
            to.host, to.port, ssl=tls, server_hostname=server_hostname if tls else None
        )
        return cls(reader, writer)

    async def read(self, timeout: float = 3.0) -> Request | Response:
        async with asyncio.timeout(timeout):
            head = await self.reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith((b"content-length:", b"l:"))
            )
            return parse_datagram(head + await self.reader.readexactly(length))

    async def ask(self, data: bytes) -> Response:
        self.writer.write(data)
        reply = await self.read()
        assert isinstance(reply, Response)
        return reply

    async def closed_by_peer(self, timeout: float = 3.0) -> bool:
        """True when the server closes the connection (EOF or reset) within `timeout`."""
        async with asyncio.timeout(timeout):
            try:
                while await self.reader.read(65536):
                    pass
            except (ConnectionError, ssl.SSLError):
                pass
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
            async with asyncio.timeout(1):
                await self.writer.wait_closed()


async def round_trip(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        client = await Client.open(server.local("tcp"))
        reply = await client.ask(options("TCP", host, client.port, "a1"))
        assert reply.status == 200 and reply.top_via.rport == client.port
        assert reply.top_via.received == host
        client.writer.write(b"\r\n\r\n")  # RFC 5626 §3.5.1 ping
        async with asyncio.timeout(3):
            assert await client.reader.readexactly(2) == b"\r\n"
        client.writer.write(options("TCP", host, client.port, "p1") + options("TCP", host, 1, "p2"))
        assert [(await client.read()).call_id for _ in range(2)] == ["p1", "p2"]
        assert server.received[0].connection is not None
        await client.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_options_round_trip_ping_and_pipelining(loopback: str, loop: str) -> None:
    run_on(loop, round_trip(loopback))


async def closed_mid_message(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        half = await Client.open(server.local("tcp"))
        half.writer.write(options("TCP", host, half.port, "m1")[:60])
        await half.writer.drain()
        await half.close()
        good = await Client.open(server.local("tcp"))
        assert (await good.ask(options("TCP", host, good.port, "m2"))).status == 200
        await good.close()
        assert server.hub is not None
        await until(lambda: len(server.hub.table) == 0)  # type: ignore[union-attr]
        assert server.counts("tcp")["closed_mid_message"] == 1


def test_connection_closed_mid_message(loopback: str) -> None:
    run_on("asyncio", closed_mid_message(loopback))


async def slow_loris(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        slow = await Client.open(server.local("tcp"))
        message = options("TCP", host, slow.port, "s1")

        async def trickle() -> None:
            for byte in message:
                slow.writer.write(bytes([byte]))
                await asyncio.sleep(0.02)

        trickling = asyncio.create_task(trickle())
        good = await Client.open(server.local("tcp"))
        assert (await good.ask(options("TCP", host, good.port, "s2"))).status == 200
        assert await slow.closed_by_peer(timeout=2)
        trickling.cancel()
        assert server.counts("tcp")["message_timeout"] == 1
        assert (await good.ask(options("TCP", host, good.port, "s3"))).status == 200
        await slow.close()
        await good.close()


def test_slow_loris_is_closed_while_others_are_answered(loopback: str) -> None:
    run_on("uvloop", slow_loris(loopback))


async def idle(host: str) -> None:
    quick = ConnectionLimits(idle_timeout=0.3, message_timeout=0.2)
    async with responder([spec("tcp", host)], connection=quick) as server:
        client = await Client.open(server.local("tcp"))
        assert (await client.ask(options("TCP", host, client.port, "i1"))).status == 200
        assert await client.closed_by_peer(timeout=2)
        assert server.counts("tcp")["idle_timeout"] == 1
        await client.close()


def test_idle_connection_is_closed(loopback: str) -> None:
    run_on("asyncio", idle(loopback))


async def capped(host: str) -> None:
    async with responder([spec("tcp", host)], ConnectionLimits(max_per_ip=2)) as server:
        first, second = [await Client.open(server.local("tcp")) for _ in range(2)]
        third = await Client.open(server.local("tcp"))
        assert await third.closed_by_peer()
        assert server.counts("tcp")["connection_cap"] == 1
        for n, client in enumerate((first, second)):
            assert (await client.ask(options("TCP", host, client.port, f"c{n}"))).status == 200
        await first.close()
        assert server.hub is not None
        await until(lambda: server.hub.table.count(host) == 1)  # type: ignore[union-attr]
        fourth = await Client.open(server.local("tcp"))  # room again after one left
        assert (await fourth.ask(options("TCP", host, fourth.port, "c4"))).status == 200
        for client in (second, third, fourth):
            await client.close()


def test_connections_per_ip_are_capped(loopback: str) -> None:
    run_on("asyncio", capped(loopback))


async def oversize(host: str, loop_data: bytes, status: int) -> None:
    async with responder([spec("tcp", host)], limits=Limits(max_size=4096)) as server:
        bad = await Client.open(server.local("tcp"))
        bad.writer.write(loop_data.replace(b"PORT", str(bad.port).encode()))
        assert (await bad.read()).status == status  # type: ignore[union-attr]
        assert await bad.closed_by_peer()
        good = await Client.open(server.local("tcp"))
        assert (await good.ask(options("TCP", host, good.port, "o2"))).status == 200
        assert server.counts("tcp")["framing_error_answered"] == 1
        await bad.close()
        await good.close()


def test_oversize_message_gets_413_and_close(loopback: str) -> None:
    big = options("TCP", loopback, 0, "o1", "X-Big: " + "a" * 8000 + "\r\n")
    run_on("asyncio", oversize(loopback, big.replace(b":0;", b":PORT;"), 413))


def test_oversize_header_only_gets_413_and_close(loopback: str) -> None:
    big = options("TCP", loopback, 0, "o1", "X-Big: " + "a" * 8000)[:-4]  # no end of head yet
    run_on("asyncio", oversize(loopback, big.replace(b":0;", b":PORT;"), 413))


def test_two_thousand_headers_get_400_and_close(loopback: str) -> None:
    headers = "".join(f"X-H{i}: v\r\n" for i in range(2000))
    many = options("TCP", loopback, 0, "h1", headers)
    limits = Limits(max_size=65535)
    run_on("asyncio", oversize_with(loopback, many.replace(b":0;", b":PORT;"), 400, limits))


async def oversize_with(host: str, data: bytes, status: int, limits: Limits) -> None:
    async with responder([spec("tcp", host)], limits=limits) as server:
        bad = await Client.open(server.local("tcp"))
        bad.writer.write(data.replace(b"PORT", str(bad.port).encode()))
        assert (await bad.read()).status == status  # type: ignore[union-attr]
        assert await bad.closed_by_peer()
        assert server.counts("tcp")["framing_error_answered"] == 1
        await bad.close()


async def hostile(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        garbage = await Client.open(server.local("tcp"))
        garbage.writer.write(b"\x00garbage\xff\r\n\r\n")
        assert await garbage.closed_by_peer()
        same = await Client.open(server.local("tcp"))
        bad = options("TCP", host, same.port, "b1").replace(b"CSeq: 1", b"CSeq: x")
        assert (await same.ask(bad)).status == 400  # framing intact: the connection stays
        assert (await same.ask(options("TCP", host, same.port, "b2"))).status == 200
        counts = server.counts("tcp")
        assert counts["framing_error_dropped"] == 1 and counts["parse_error_answered"] == 1
        await garbage.close()
        await same.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_garbage_closes_bad_message_answered_then_good(loopback: str, loop: str) -> None:
    run_on(loop, hostile(loopback))


class FakeTransport(asyncio.Transport):
    """Records writes; peer 192.0.2.7:40000, local 192.0.2.1:5060 (STYLE: fake transport)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("192.0.2.7", 40000), "sockname": ("192.0.2.1", 5060)}.get(name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


def fed(*chunks: bytes, limits: Limits | None = None) -> tuple[FakeTransport, list[Received]]:
    """Feed `chunks` to one inbound StreamConnection over a fake transport."""
    from sipwarden.transport.connections import ConnectionTable
    from sipwarden.transport.stream import StreamConnection, StreamContext

    async def go() -> tuple[FakeTransport, list[Received]]:
        received: list[Received] = []
        table = ConnectionTable(4)
        context = StreamContext("TCP", received.append, limits or Limits(), table, FAST)
        connection, fake = StreamConnection(context), FakeTransport()
        connection.connection_made(fake)
        for chunk in chunks:
            connection.data_received(chunk)
        connection.connection_lost(None)
        assert len(table) == 0
        return fake, received

    return asyncio.run(go())


GOOD = options("TCP", "192.0.2.7", 40000, "f1")


def test_fake_messages_split_at_every_byte_and_pipelined() -> None:
    data = b"\r\n\r\n" + GOOD + GOOD.replace(b"f1", b"f2")
    fake, received = fed(*(data[i : i + 1] for i in range(len(data))))
    assert [e.message.call_id for e in received] == ["f1", "f2"]
    assert fake.written == [b"\r\n"] and not fake.closed
    assert received[0].source == Address("TCP", "192.0.2.7", 40000)
    assert received[0].local == Address("TCP", "192.0.2.1", 5060)


def test_fake_framing_error_after_a_good_message_is_answered_from_its_own_bytes() -> None:
    no_length = GOOD.replace(b"f1", b"f3").replace(b"Content-Length: 0\r\n", b"")
    half = len(no_length) // 2
    fake, received = fed(GOOD + no_length[:half], no_length[half:] + GOOD)
    assert [e.message.call_id for e in received] == ["f1"]
    reply = parse_datagram(fake.written[0])
    assert isinstance(reply, Response) and reply.status == 400 and reply.call_id == "f3"
    assert fake.closed and len(fake.written) == 1  # nothing after the framing error


def test_fake_bad_start_line_is_answered_and_the_connection_kept() -> None:
    bad = GOOD.replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1)
    fake, received = fed(bad + GOOD)
    status = parse_datagram(fake.written[0])
    assert isinstance(status, Response) and status.status == 505
    assert not fake.closed and [e.message.call_id for e in received] == ["f1"]
