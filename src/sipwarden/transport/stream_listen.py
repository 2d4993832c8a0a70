"""The TCP and TLS listeners (RFC 3261 §18): accepting connections for `StreamConnection`.

How this works: TCP uses `create_server`, and each `StreamConnection` checks the per-IP cap in
`connection_made`. TLS binds its own socket and accepts through `accept.Handshakes`, so the cap
is checked before the handshake (which costs CPU) and a failed handshake (an untrusted client
certificate, TLS 1.1) is counted and logged like any reject; a bare `create_server(ssl=...)`
would hide it. Closing drops every connection and handshake under way (`accept.Acceptor`).
"""

from __future__ import annotations

import asyncio
import ssl
from functools import partial

from sipwarden.transport.accept import Acceptor, Handshakes, listening_socket
from sipwarden.transport.address import Address
from sipwarden.transport.stream import StreamConnection, StreamContext


class StreamListener:
    """One TCP or TLS listening socket and the connections it accepted."""

    def __init__(self, context: StreamContext, local: Address, acceptor: Acceptor) -> None:
        self.context = context
        self.counters = context.counters
        self.local = local
        self._acceptor = acceptor

    def close(self) -> None:
        """Stop accepting and drop every connection and handshake under way."""
        self._acceptor.close()
        for connection in list(self.context.connections):
            connection.abort()

    async def wait_closed(self) -> None:
        """Wait until every task has unwound and the listening socket is closed."""
        await self._acceptor.wait_closed()


async def start_stream(
    context: StreamContext, host: str, port: int, tls: ssl.SSLContext | None
) -> StreamListener:
    """Listen for TCP (`tls` None) or TLS on host:port (IPv4 or IPv6, port 0 for any)."""
    if tls is not None:
        return _start_tls(context, host, port, tls)
    server = await asyncio.get_running_loop().create_server(
        lambda: StreamConnection(context), host, port
    )
    local = _bound(context, server.sockets[0].getsockname())
    return StreamListener(context, local, Acceptor(context.tasks, server=server))


def _start_tls(context: StreamContext, host: str, port: int, tls: ssl.SSLContext) -> StreamListener:
    sock = listening_socket(host, port)
    timeout = context.conn_limits.connect_timeout
    handshakes = Handshakes(tls, timeout, partial(_admit, context), context.spawn)
    acceptor = Acceptor(context.tasks, sock=sock, handshakes=handshakes)
    return StreamListener(context, _bound(context, sock.getsockname()), acceptor)


def _admit(context: StreamContext, host: str, port: int) -> StreamConnection | None:
    """A TLS peer within the per-IP cap gets its connection, registered before the handshake."""
    peer = Address(context.transport, host, port)
    return StreamConnection(context, peer=peer) if context.admits(peer) else None


def _bound(
    context: StreamContext, sockname: tuple[str, int] | tuple[str, int, int, int]
) -> Address:
    return Address(context.transport, sockname[0], sockname[1])
