"""SIP over WebSocket (RFC 7118) on loopback, port 0, IPv4 and IPv6, with a wsproto client."""

from __future__ import annotations

import asyncio
import socket

import pytest
from wsproto.events import CloseConnection, Pong, TextMessage

from sipwarden.sip import Response, parse_datagram
from sipwarden.transport.address import Address
from sipwarden.transport.connections import ConnectionLimits
from sipwarden.transport.websocket import WsListener
from tests.integration.transport.wsclient import (
    LOOPS,
    WsClient,
    connect,
    options,
    run_on,
    ws_responder,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(params=sorted(LOOPS))
def loop(request: pytest.FixtureRequest) -> str:
    """Both event loops: uvloop transports are not subclasses of asyncio's."""
    return str(request.param)


QUICK = ConnectionLimits(idle_timeout=0.6, message_timeout=0.3)


async def ask(client: WsClient, text: str) -> Response:
    await client.send_text(text)
    reply = parse_datagram(await client.recv_message())
    assert isinstance(reply, Response)
    return reply


async def settle(server: WsListener, open_: int = 0) -> None:
    """Wait until the server has `open_` connections left (it ran `connection_lost`)."""
    async with asyncio.timeout(3):
        while len(server.table) != open_:
            await asyncio.sleep(0.01)


async def round_trip(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        assert client.accepted is not None and client.accepted.subprotocol == "sip"
        [connection] = list(server.table)
        assert connection.transport == "WS" and connection.peer.port == client.local[1]
        reply = await ask(client, options("a1"))
        assert reply.status == 200
        assert reply.top_via.received == host and reply.top_via.rport == client.local[1]
        await client.send_bytes(options("b1").encode())  # a binary frame carries SIP too
        assert (parse_datagram(await client.recv_message())).top_via.branch == "z9hG4bKb1"
        await client.close()
        assert isinstance(await client.recv(), CloseConnection)  # §7.1.2 the Close echoed
        assert await client.wait_eof() == b""
        await client.aclose()
        await settle(server)
        assert len(server.table) == 0 and server.counters.snapshot() == {}


def test_options_round_trip(loopback: str, loop: str) -> None:
    run_on(loop, round_trip(loopback))


async def no_sip(host: str) -> None:
    async with ws_responder(host) as server:
        for offered in ([], ["xmpp"]):
            client = await connect(server.local, subprotocols=offered)
            assert client.rejected is not None and client.rejected.status_code == 400
            assert b"RFC 7118" in client.reject_body
            await client.aclose()
        await settle(server)
        assert server.counters["ws_no_sip_subprotocol"] == 2 and len(server.table) == 0
        good = await connect(server.local)
        assert (await ask(good, options("n1"))).status == 200
        await good.aclose()


def test_handshake_without_sip_subprotocol_is_refused(loopback: str, loop: str) -> None:
    run_on(loop, no_sip(loopback))


async def raw_http(server: WsListener, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(server.local.host, server.local.port)
    writer.write(data)
    async with asyncio.timeout(3):
        answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


async def bad_upgrade(host: str) -> None:
    async with ws_responder(host) as server:
        answer = await raw_http(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")
        answer = await raw_http(server, b"\x16\x03\x01 not http at all\r\n\r\n")
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400 ")
        await settle(server)
        assert server.counters["ws_handshake_invalid"] == 2


def test_not_a_websocket_upgrade_is_refused(loopback: str, loop: str) -> None:
    run_on(loop, bad_upgrade(loopback))


async def hostile(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        await client.send_bytes(b"\x00garbage\xff" * 10)
        await client.send_text("\r\n\r\n")
        headers = "".join(f"X-H{i}: v\r\n" for i in range(2000))
        bad = await ask(client, options("h1", extra=headers))
        assert bad.status >= 400 and bad.top_via.branch == "z9hG4bKh1"
        assert (await ask(client, options("g1"))).status == 200
        counts = server.counters.snapshot()
        assert counts["parse_error_dropped"] == 1 and counts["keepalive"] == 1
        assert counts["parse_error_answered"] == 1
        await client.aclose()


def test_garbage_then_good_request_on_the_same_connection(loopback: str, loop: str) -> None:
    run_on(loop, hostile(loopback))


async def oversize(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        assert (await ask(client, options("s1", extra="X-Big: " + "a" * 60000 + "\r\n"))).status
        await client.send_text(options("s2", extra="X-Big: " + "a" * 70000 + "\r\n"))
        closed = await client.recv()
        assert isinstance(closed, CloseConnection) and closed.code == 1009  # RFC 6455 §7.4.1
        assert await client.wait_eof() == b""
        await client.aclose()
        assert server.counters["ws_message_too_big"] == 1
        again = await connect(server.local)
        assert (await ask(again, options("s3"))).status == 200
        await again.aclose()


def test_oversize_message_closes_with_1009(loopback: str, loop: str) -> None:
    run_on(loop, oversize(loopback))


async def cut_short(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        half = options("c1").encode()[:40]
        await client.write(_masked_fragment(half))
        client.writer.transport.abort()  # gone without a Close frame (RFC 6455 §7.1.5: 1006)
        await settle(server)
        assert server.counters["closed_mid_message"] == 1 and len(server.table) == 0
        good = await connect(server.local)
        assert (await ask(good, options("c2"))).status == 200
        await good.aclose()


def _masked_fragment(payload: bytes) -> bytes:
    """A first text fragment (FIN clear, RFC 6455 §5.4) with an all-zero mask."""
    assert len(payload) < 126
    return bytes([0x01, 0x80 | len(payload)]) + b"\x00\x00\x00\x00" + payload


def test_client_vanishing_mid_message(loopback: str, loop: str) -> None:
    run_on(loop, cut_short(loopback))


async def idle(host: str) -> None:
    async with ws_responder(host, conn_limits=QUICK) as server:
        client = await connect(server.local)
        closed = await client.recv()  # nothing sent: the server closes after 0.6 s
        assert isinstance(closed, CloseConnection) and closed.code == 1000
        await client.write(client.ws.send(closed.response()))
        assert await client.wait_eof() == b""
        await client.aclose()
        assert server.counters["idle_timeout"] == 1
        silent = await raw_http(server, b"GET / HTTP/1.1\r\n")  # never finishes its upgrade
        assert silent == b"" and server.counters["message_timeout"] == 1


def test_idle_and_unfinished_handshake_are_closed(loopback: str, loop: str) -> None:
    run_on(loop, idle(loopback))


async def per_ip_cap(host: str) -> None:
    async with ws_responder(host, max_per_ip=2) as server:
        first, second = await connect(server.local), await connect(server.local)
        with pytest.raises((EOFError, ConnectionError)):  # hung up before the upgrade
            await connect(server.local)
        assert server.counters["connection_cap"] == 1 and len(server.table) == 2
        assert (await ask(second, options("p1"))).status == 200
        await first.close()
        assert isinstance(await first.recv(), CloseConnection)
        await first.aclose()
        await settle(server, 1)
        third = await connect(server.local)
        assert (await ask(third, options("p2"))).status == 200
        await second.aclose()
        await third.aclose()


def test_connections_per_source_ip_are_capped(loopback: str, loop: str) -> None:
    run_on(loop, per_ip_cap(loopback))


async def ping(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        await client.ping(b"are you there")
        pong = await client.recv()
        assert isinstance(pong, Pong) and pong.payload == b"are you there"  # RFC 6455 §5.5.3
        await client.aclose()


def test_ping_gets_pong(loopback: str, loop: str) -> None:
    run_on(loop, ping(loopback))


async def protocol_error(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        await client.write(b"\x81\x05hello")  # unmasked: RFC 6455 §5.1 requires a mask
        closed = await client.recv()
        assert isinstance(closed, CloseConnection) and closed.code == 1002
        await client.aclose()
        assert server.counters["ws_protocol_error"] == 1


def test_unmasked_frame_fails_the_connection(loopback: str, loop: str) -> None:
    run_on(loop, protocol_error(loopback))


async def listener_close(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        server.close()
        closed = await client.recv()
        assert isinstance(closed, CloseConnection) and closed.code == 1001
        await client.aclose()
        await server.wait_closed()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as probe, pytest.raises(ConnectionRefusedError):
            probe.connect((server.local.host, server.local.port))
        assert Address("WS", host, server.local.port) == server.local


def test_listener_close_says_going_away(loopback: str, loop: str) -> None:
    run_on(loop, listener_close(loopback))


async def server_close(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        [connection] = list(server.table)
        connection.close()  # what the hub does to drop a flow (RFC 6455 §7.1.2)
        assert connection.closing and server.table.get(connection.id) is None
        connection.send(options("late").encode())
        assert server.counters["send_closed"] == 1
        closed = await client.recv()
        assert isinstance(closed, CloseConnection) and closed.code == 1000
        await client.write(client.ws.send(closed.response()))
        assert await client.wait_eof() == b""
        await client.aclose()
        await settle(server)
        connection.close()  # once gone, closing again or sending does nothing but count
        connection.send(b"late")
        assert server.counters["send_closed"] == 2


def test_server_side_close_handshake(loopback: str, loop: str) -> None:
    run_on(loop, server_close(loopback))


async def burst(host: str) -> None:
    async with ws_responder(host) as server:
        client = await connect(server.local)
        frames = b"".join(client.ws.send(TextMessage(options(f"x{i}"))) for i in range(1000))
        await client.write(frames)  # one write, many messages: each answered, none lost
        branches = set()
        for _ in range(1000):
            reply = parse_datagram(await client.recv_message())
            branches.add(reply.top_via.branch)
        assert len(branches) == 1000 and server.counters.snapshot() == {}
        await client.aclose()


def test_many_messages_in_one_read(loopback: str, loop: str) -> None:
    run_on(loop, burst(loopback))


async def slow_reader(host: str) -> None:
    """A client that sends faster than it reads: the server stops reading until it catches up
    (asyncio flow control), and every request is still answered."""
    async with ws_responder(host) as server:
        client = await connect(server.local)
        via = ", ".join(f"SIP/2.0/WS h{i}.invalid;branch=z9hG4bK{i}" for i in range(80))
        vias = f"Via: {via}\r\n" * 10  # copied into each response (RFC 3261 §8.2.6.2)
        count = 300
        frames = b"".join(
            client.ws.send(TextMessage(options(f"s{i}", extra=vias))) for i in range(count)
        )
        client.writer.write(frames)  # ~10 MB of responses come back, unread for now
        await asyncio.sleep(0.2)
        for _ in range(count):
            assert len(await client.recv_message()) > 30000
        await client.writer.drain()
        assert server.counters.snapshot() == {}
        await client.aclose()


def test_slow_reader_gets_every_answer(loop: str) -> None:
    run_on(loop, slow_reader("127.0.0.1"))
