"""SIP over secure WebSocket (RFC 7118 §5, WSS) on loopback with a throwaway CA."""

from __future__ import annotations

import asyncio
import ssl
from typing import cast

import pytest
from wsproto.events import CloseConnection

from sipwarden.errors import LocalError
from sipwarden.sip import Response, parse_datagram
from sipwarden.transport.connections import ConnectionLimits, ConnectionTable
from sipwarden.transport.inbound import Limits
from sipwarden.transport.listen import ListenSpec
from sipwarden.transport.tls import client_context, server_context
from sipwarden.transport.websocket import start_ws
from tests.integration.transport.certs import Pki, make_pki
from tests.integration.transport.wsclient import LOOPS, connect, options, run_on, ws_responder

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(params=sorted(LOOPS))
def loop(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def secure_round_trip(host: str, pki: Pki) -> None:
    server_ctx = server_context(pki.server_cert, pki.server_key)
    async with ws_responder(host, ssl_context=server_ctx) as server:
        assert server.local.transport == "WSS"
        client = await connect(server.local, ssl_context=client_context(pki.ca))
        [connection] = list(server.table)
        assert connection.transport == "WSS"
        await client.send_text(options("w1", "WSS"))
        reply = parse_datagram(await client.recv_message())
        assert isinstance(reply, Response) and reply.status == 200
        assert reply.top_via.received == host and reply.top_via.rport == client.local[1]
        await client.close()
        assert isinstance(await client.recv(), CloseConnection)
        await client.aclose()


def test_wss_round_trip(loopback: str, loop: str, pki: Pki) -> None:
    run_on(loop, secure_round_trip(loopback, pki))


async def secure_no_sip(host: str, pki: Pki) -> None:
    server_ctx = server_context(pki.server_cert, pki.server_key)
    async with ws_responder(host, ssl_context=server_ctx) as server:
        client = await connect(server.local, ["chat"], ssl_context=client_context(pki.ca))
        assert client.rejected is not None and client.rejected.status_code == 400
        await client.aclose()
        assert server.counters["ws_no_sip_subprotocol"] == 1


def test_wss_without_sip_subprotocol_is_refused(loopback: str, loop: str, pki: Pki) -> None:
    run_on(loop, secure_no_sip(loopback, pki))


async def secure_going_away(host: str, pki: Pki) -> None:
    server_ctx = server_context(pki.server_cert, pki.server_key)
    async with ws_responder(host, ssl_context=server_ctx) as server:
        client = await connect(server.local, ssl_context=client_context(pki.ca))
        server.close()
        closed = await client.recv()
        assert isinstance(closed, CloseConnection) and closed.code == 1001
        await client.aclose()
        async with asyncio.timeout(3):
            await server.wait_closed()


def test_wss_listener_close(loopback: str, loop: str, pki: Pki) -> None:
    run_on(loop, secure_going_away(loopback, pki))


async def mismatched(spec: str, context: ssl.SSLContext | None) -> None:
    proto, host = spec.split(":", 1)
    with pytest.raises(LocalError, match="WSS needs a TLS certificate"):
        await start_ws(ListenSpec(proto, host, 0), print, Limits(), ConnectionTable(), context)


def test_wss_needs_a_context_and_ws_refuses_one(pki: Pki) -> None:
    context = server_context(pki.server_cert, pki.server_key)
    run_on("asyncio", mismatched("wss:127.0.0.1", None))
    run_on("asyncio", mismatched("ws:127.0.0.1", context))


async def tls_failures(host: str, pki: Pki) -> None:
    server_ctx = server_context(pki.server_cert, pki.server_key)
    quick = ConnectionLimits(connect_timeout=0.3)
    async with ws_responder(host, server_ctx, conn_limits=quick, max_per_ip=1) as server:
        reader, writer = await asyncio.open_connection(server.local.host, server.local.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # clear text to a TLS port
        async with asyncio.timeout(3):
            assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()
        silent = await asyncio.open_connection(server.local.host, server.local.port)
        capped = await asyncio.open_connection(server.local.host, server.local.port)
        async with asyncio.timeout(3):  # the cap closes one at once, the timeout the other
            assert await capped[0].read() == b"" and await silent[0].read() == b""
        for _, w in (silent, capped):
            w.close()
            await w.wait_closed()
        counts = server.counters.snapshot()
        assert counts == {"tls_handshake_failed": 2, "connection_cap": 1}
        assert len(server.table) == 0


def test_wss_handshake_failures_are_counted(loopback: str, loop: str, pki: Pki) -> None:
    run_on(loop, tls_failures(loopback, pki))


async def close_mid_handshake(host: str, pki: Pki) -> None:
    server_ctx = server_context(pki.server_cert, pki.server_key)
    async with ws_responder(host, server_ctx) as server:
        reader, writer = await asyncio.open_connection(server.local.host, server.local.port)
        async with asyncio.timeout(3):
            while not server.table:
                await asyncio.sleep(0.01)
        server.close()
        await server.wait_closed()
        async with asyncio.timeout(3):
            assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()
        assert len(server.table) == 0 and server.counters.snapshot() == {}


def test_wss_listener_close_during_tls_handshake(loopback: str, loop: str, pki: Pki) -> None:
    run_on(loop, close_mid_handshake(loopback, pki))


async def deaf_client(host: str, pki: Pki) -> None:
    server_ctx = server_context(pki.server_cert, pki.server_key)
    quick = ConnectionLimits(message_timeout=0.2)
    async with ws_responder(host, server_ctx, conn_limits=quick) as server:
        client = await connect(server.local, ssl_context=client_context(pki.ca))
        transport = cast(asyncio.Transport, client.writer.transport)
        transport.pause_reading()  # never sees our Close nor TLS close_notify
        server.close()
        async with asyncio.timeout(3):
            await server.wait_closed()  # gives up after message_timeout and drops it
        assert len(server.table) == 0
        transport.abort()
        await client.aclose()


def test_wss_listener_close_drops_a_deaf_client(loopback: str, loop: str, pki: Pki) -> None:
    run_on(loop, deaf_client(loopback, pki))


async def bad_specs(host: str, pki: Pki) -> None:
    context = server_context(pki.server_cert, pki.server_key)
    with pytest.raises(LocalError, match="cannot listen"):
        await start_ws(ListenSpec("tcp", host, 0), print, Limits(), ConnectionTable())
    async with ws_responder(host, context) as server:
        taken = ListenSpec("wss", host, server.local.port)
        with pytest.raises(OSError):
            await start_ws(taken, print, Limits(), ConnectionTable(), context)


def test_wrong_proto_and_busy_port_are_refused(loopback: str, pki: Pki) -> None:
    run_on("asyncio", bad_specs(loopback, pki))
