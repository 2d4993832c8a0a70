"""The WS and WSS listeners (RFC 7118 §5: SIP over WebSocket, subprotocol `sip`).

How this works: `start_ws` binds one listening socket for a `ws:` or `wss:` spec and hands each
accepted connection to a `WsConnection` (ws_connection.py), which runs the pure `WsSession`
(ws_session.py: RFC 6455 handshake, framing, ping, close, limits). WS uses `create_server`.
WSS runs its own accept loop so the per-IP cap is checked before the TLS handshake (which
costs CPU) and a failed handshake is counted like any reject; the handshake is bounded by
`connect_timeout`. Closing the listener sends every open connection a Close with 1001 "going
away" (RFC 6455 §7.4.1) and waits, at most `message_timeout`, before dropping the rest.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from functools import partial

from sipwarden.errors import LocalError
from sipwarden.transport.address import Address
from sipwarden.transport.connections import ConnectionLimits, ConnectionTable
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import Limits
from sipwarden.transport.listen import ListenSpec
from sipwarden.transport.ws_connection import Handler, WsConnection, WsContext

__all__ = ["WsConnection", "WsListener", "start_ws"]


class WsListener:
    """One WS or WSS listening socket and the connections it accepted."""

    def __init__(
        self, context: WsContext, server: asyncio.Server | None, sock: socket.socket | None
    ) -> None:
        self.context = context
        self._server = server  # None for WSS: its accept loop on `sock` is in `context.tasks`
        self._sock = sock

    @property
    def local(self) -> Address:
        """The bound address (the real port when the spec asked for port 0)."""
        return self.context.local

    @property
    def counters(self) -> DropCounters:
        return self.context.counters

    @property
    def table(self) -> ConnectionTable:
        return self.context.table

    def close(self) -> None:
        """Stop accepting; Close 1001 to open connections, drop those still in TLS handshake."""
        if self._server is not None:
            self._server.close()
        for task in list(self.context.tasks):
            task.cancel()
        for connection in list(self.context.connections):
            connection.going_away()

    async def wait_closed(self) -> None:
        """Wait until the socket is closed and every connection is gone (after `close`)."""
        if self._server is not None:
            await self._server.wait_closed()
        if self.context.tasks:
            await asyncio.wait(list(self.context.tasks))
        if self._sock is not None:  # a loop task cancelled before it ran never reached `finally`
            self._sock.close()
        try:
            async with asyncio.timeout(self.context.conn_limits.message_timeout):
                await self.context.idle.wait()
        except TimeoutError:  # a peer that never answers our Close or TLS close_notify
            for connection in list(self.context.connections):
                connection.abort()


async def start_ws(
    spec: ListenSpec,
    on_message: Handler,
    limits: Limits,
    table: ConnectionTable,
    ssl_context: ssl.SSLContext | None = None,
    conn_limits: ConnectionLimits | None = None,
) -> WsListener:
    """Listen for SIP over WebSocket on `spec` (`ws:` or `wss:`, IPv4 or IPv6, port 0 for any).

    WSS (RFC 7118 §5, "secure WebSocket") needs `ssl_context`, such as
    `tls.server_context(cert, key)`; WS refuses one, so a listener is never silently clear.
    The per-IP cap is `table.max_per_ip`; the size limit `limits.max_size`; the idle and
    partial-message timeouts come from `conn_limits`.
    """
    transport = spec.transport
    if transport not in ("WS", "WSS"):
        raise LocalError(f"start_ws cannot listen on {spec}")
    if (transport == "WSS") != (ssl_context is not None):
        raise LocalError(f"{spec}: WSS needs a TLS certificate and key, WS takes none")
    context = WsContext(transport, on_message, limits, table, conn_limits or ConnectionLimits())
    context.idle.set()
    if ssl_context is not None:
        sock = _listening_socket(spec.host, spec.port)
        context.local = _bound(transport, sock.getsockname())
        context.spawn(_accept_tls(context, sock, ssl_context))
        return WsListener(context, None, sock)
    server = await asyncio.get_running_loop().create_server(
        lambda: WsConnection(context), spec.host, spec.port
    )
    context.local = _bound(transport, server.sockets[0].getsockname())
    return WsListener(context, server, None)


def _bound(transport: str, sockname: tuple[str, int] | tuple[str, int, int, int]) -> Address:
    return Address(transport, sockname[0], sockname[1])


def _listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking listening socket; IPv6 ones are IPv6-only, as `create_server` makes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


async def _accept_tls(context: WsContext, sock: socket.socket, tls: ssl.SSLContext) -> None:
    """WSS accept loop: the per-IP cap first, then the TLS handshake in its own task."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            client, address = await loop.sock_accept(sock)
            connection = WsConnection(context)
            if not connection.admit(address[0], address[1]):
                client.close()
                continue
            task = context.spawn(_handshake(connection, client, tls))
            task.add_done_callback(partial(_unwind, connection, client))
    finally:
        sock.close()


def _unwind(connection: WsConnection, client: socket.socket, task: asyncio.Task[None]) -> None:
    """A handshake cancelled by `close`, maybe before it even started: release its socket."""
    if task.cancelled():
        client.close()
        connection.abort()


async def _handshake(connection: WsConnection, sock: socket.socket, tls: ssl.SSLContext) -> None:
    """The TLS server handshake under WSS (RFC 7118 §5), bounded by `connect_timeout`."""
    loop = asyncio.get_running_loop()
    timeout = connection.context.conn_limits.connect_timeout
    try:
        await loop.connect_accepted_socket(
            lambda: connection, sock, ssl=tls, ssl_handshake_timeout=timeout
        )
    except Exception as error:  # ssl.SSLError, ConnectionError, TimeoutError: the peer's doing
        sock.close()
        connection.fail("tls_handshake_failed", (str(error) or type(error).__name__)[:200])
