"""The WS and WSS listeners (RFC 7118 §5: SIP over WebSocket, subprotocol `sip`).

How this works: `start_ws` binds one listening socket for a `ws:` or `wss:` spec and hands each
accepted connection to a `WsConnection` (ws_connection.py), which runs the pure `WsSession`
(ws_session.py: RFC 6455 handshake, framing, ping, close, limits). WS uses `create_server`.
WSS accepts through `accept.Handshakes`, shared with TLS, so the per-IP cap is checked before
the TLS handshake (which costs CPU) and a failed handshake is counted like any reject; the
handshake is bounded by `connect_timeout`. Closing the listener sends every open connection a
Close with 1001 "going away" (RFC 6455 §7.4.1) and waits, at most `message_timeout`, before
dropping the rest.
"""

from __future__ import annotations

import asyncio
import ssl
from functools import partial

from sipwarden.errors import LocalError
from sipwarden.transport.accept import Acceptor, Handshakes, listening_socket
from sipwarden.transport.address import Address
from sipwarden.transport.connections import ConnectionLimits, ConnectionTable
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import Limits
from sipwarden.transport.listen import ListenSpec
from sipwarden.transport.protocol import Handler
from sipwarden.transport.ws_connection import WsConnection, WsContext

__all__ = ["WsConnection", "WsListener", "start_ws"]


class WsListener:
    """One WS or WSS listening socket and the connections it accepted."""

    def __init__(self, context: WsContext, acceptor: Acceptor) -> None:
        self.context = context
        self._acceptor = acceptor

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
        self._acceptor.close()
        for connection in list(self.context.connections):
            connection.going_away()

    async def wait_closed(self) -> None:
        """Wait until the socket is closed and every connection is gone (after `close`)."""
        await self._acceptor.wait_closed()
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
        sock = listening_socket(spec.host, spec.port)
        context.local = _bound(transport, sock.getsockname())
        timeout = context.conn_limits.connect_timeout
        handshakes = Handshakes(ssl_context, timeout, partial(_admit, context), context.spawn)
        return WsListener(context, Acceptor(context.tasks, sock=sock, handshakes=handshakes))
    server = await asyncio.get_running_loop().create_server(
        lambda: WsConnection(context), spec.host, spec.port
    )
    context.local = _bound(transport, server.sockets[0].getsockname())
    return WsListener(context, Acceptor(context.tasks, server=server))


def _bound(transport: str, sockname: tuple[str, int] | tuple[str, int, int, int]) -> Address:
    return Address(transport, sockname[0], sockname[1])


def _admit(context: WsContext, host: str, port: int) -> WsConnection | None:
    """A WSS peer within the per-IP cap gets its connection, registered before the handshake."""
    connection = WsConnection(context)
    return connection if connection.admit(host, port) else None
