"""The TCP and TLS adapter (RFC 3261 §18): one asyncio Protocol per connection, inbound or out.

How this works: an accepted connection is refused before reading a byte when its source IP
already holds `max_per_ip` connections; otherwise it is registered in the shared
`ConnectionTable`. TLS listeners accept sockets themselves and run the handshake after that
check (`connect_accepted_socket`), so a failed handshake (an untrusted client certificate,
TLS 1.1) is counted and logged like any reject; a bare `create_server(ssl=...)` would hide it.
Bytes go to one `StreamFramer` (§18.3 Content-Length framing); each whole message goes through
`accept_message` (validate, stamp `received`/`rport`) and up with the connection id, so the
response returns on it (§18.2.2). A CRLF CRLF ping is answered with a CRLF pong (RFC 5626
§3.5.1). A framing error is answered from the bytes buffered so far when the Via can be read,
then the connection is closed. `IdleTimer` closes connections that finish no message in time,
which also ends slow-loris peers. Outbound connections (`connect`) queue what is sent until
the connection (and handshake) is up, and report a failure through `on_send_error`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

from sipwarden.errors import ParseError
from sipwarden.sip import KeepAlive, Request, Response, StreamFramer
from sipwarden.transport.address import Address, Destination, Received
from sipwarden.transport.connections import (
    ConnectionLimits,
    ConnectionTable,
    IdleTimer,
    alias_target,
)
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import (
    Limits,
    Rejected,
    accept_message,
    framing_error,
    message_error,
)

log = logging.getLogger(__name__)
Handler = Callable[[Received], None]
# (where it was going, reason code, the bytes that were not sent): one call per lost message
SendErrorHandler = Callable[[Destination, str, bytes], None]
PONG = b"\r\n"  # RFC 5626 §3.5.1: a CRLF CRLF ping is answered by a single CRLF


@dataclass
class StreamContext:
    """What every connection of one listener (or of the outbound side) shares."""

    transport: str
    on_message: Handler
    limits: Limits
    table: ConnectionTable
    conn_limits: ConnectionLimits
    on_send_error: SendErrorHandler | None = None
    counters: DropCounters = field(default_factory=DropCounters)
    connections: set[StreamConnection] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def drop(self, reason: str, source: Address, detail: str) -> None:
        """Count and log one refused input or cut connection (STYLE 10)."""
        self.counters.count(reason)
        log.info("%s reject reason=%s source=%s %s", self.transport.lower(), reason, source, detail)

    def admits(self, peer: Address) -> bool:
        """True when `peer`'s IP may open one more connection; else counted and logged."""
        table = self.table
        if table.admits(peer.host):
            return True
        self.drop("connection_cap", peer, f"over {table.max_per_ip} per IP")
        return False

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `coro` as a task held here, so closing can cancel it and nothing is orphaned."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class StreamConnection(asyncio.Protocol):
    """One TCP or TLS connection; satisfies the `connections.Connection` protocol.

    Built with `peer` when the peer is known before the transport exists (outbound, and TLS
    accepted by `_accept_tls`): it is registered at once, messages sent meanwhile are queued,
    and a second request to the same peer finds it (§18.1 reuse). Without `peer` (plain TCP
    from `create_server`) it is admitted and registered in `connection_made`.
    """

    def __init__(
        self, context: StreamContext, *, peer: Address | None = None, inbound: bool = True
    ) -> None:
        self.context = context
        self.id = 0
        self.transport = context.transport
        self.peer = peer if peer is not None else Address(self.transport, "", 0)
        self.local = Address(self.transport, "", 0)
        self.inbound = inbound
        self._loop = asyncio.get_running_loop()
        self._io: asyncio.Transport | None = None
        self._ready = False
        self._closed = False
        self._pending: list[bytes] = []
        limits = context.limits
        self._framer = StreamFramer(max_size=limits.max_size, max_headers=limits.max_headers)
        self._shadow = bytearray()  # the framer's buffered bytes, for a 400 on a framing error
        self._timer = IdleTimer(context.conn_limits, self._loop.time())
        self._handle: asyncio.TimerHandle | None = None
        self._armed = 0.0
        if peer is not None:
            self._register()

    def _register(self) -> None:
        self.id = self.context.table.new_id()
        self.context.table.add(self, inbound=self.inbound)
        self.context.connections.add(self)

    @property
    def closing(self) -> bool:
        return self._closed or (self._io is not None and self._io.is_closing())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        io = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        if self._closed:  # closed while an outbound connect was under way
            io.abort()
            return
        self._io = io
        local = io.get_extra_info("sockname")
        self.local = Address(self.transport, local[0], local[1])
        if self.id or self._admit(io):
            self._established(io)

    def _admit(self, io: asyncio.Transport) -> bool:
        """§18 sets no cap; this is ours: refuse a source IP over `max_per_ip` before reading."""
        host, port = io.get_extra_info("peername")[:2]
        self.peer = Address(self.transport, host, port)
        if not self.context.admits(self.peer):
            self._closed = True
            io.abort()
            return False
        self._register()
        return True

    def _established(self, io: asyncio.Transport) -> None:
        self._io = io
        self._ready = True
        self._timer = IdleTimer(self.context.conn_limits, self._loop.time())
        self._arm()
        for data in self._pending:
            io.write(data)
        self._pending.clear()
        log.debug("%s open id=%d peer=%s", self.transport, self.id, self.peer)

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        framer = self._framer
        self._shadow += data
        framer.feed(data)
        now = self._loop.time()
        while not self._closed and self._next(now):
            pass
        if not self._closed:
            del self._shadow[: len(self._shadow) - framer.buffered]
            self._timer.on_bytes(now, framer.buffered)
            self._arm()

    def _next(self, now: float) -> bool:
        """Handle the framer's next event; False when it needs more bytes or framing is lost.

        A ParseError after the framer moved past the message (a bad start line, §18.3 framing
        intact) is answered like a datagram and reading goes on; one that left the bytes in
        place means the next message's start is unknown: answer if possible and close.
        """
        framer, shadow = self._framer, self._shadow
        before = framer.buffered
        start = len(shadow) - before
        try:
            event = framer.next_event()
        except ParseError as error:
            consumed = before - framer.buffered
            if consumed <= 0:
                self._framing_error(bytes(shadow[start:]), error)
                return False
            self._timer.on_message(now)
            self._reject(message_error(bytes(shadow[start : start + consumed]), error))
            return True
        if event is None:
            return False
        self._event(event, now)
        return True

    def _event(self, event: Request | Response | KeepAlive, now: float) -> None:
        self._timer.on_message(now)
        if isinstance(event, KeepAlive):
            if event.ping:
                self._write(PONG)
            return
        outcome = accept_message(event, self.peer, self.local, self.id)
        if isinstance(outcome, Rejected):
            self._reject(outcome)
            return
        if isinstance(event, Request):
            self._alias(event)
        self.context.on_message(outcome)

    def _alias(self, request: Request) -> None:
        """RFC 5923 §5: the Via `alias` parameter offers this connection for our requests."""
        target = alias_target(request.top_via, self.peer)
        if target is not None:
            self.context.table.alias(target, self.id)

    def _reject(self, rejected: Rejected) -> None:
        self.context.drop(rejected.reason, self.peer, rejected.detail)
        if rejected.reply is not None:
            self._write(rejected.reply)

    def _framing_error(self, buffered: bytes, error: ParseError) -> None:
        """§18.3: the next message's start is lost; answer if the Via can be read, close."""
        self._reject(framing_error(buffered, error))
        self.close()

    def eof_received(self) -> bool:
        if self._framer.buffered and not self._closed:
            self.context.drop("closed_mid_message", self.peer, f"{self._framer.buffered} bytes")
        return False  # close our side too: SIP has no half-closed use

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish()

    def pause_writing(self) -> None:
        """The peer is not reading what we send: stop reading what it sends until it does."""
        if self._io is not None:
            self._io.pause_reading()

    def resume_writing(self) -> None:
        if self._io is not None and not self._io.is_closing():
            self._io.resume_reading()

    def send(self, data: bytes) -> None:
        """Write one serialized message; queued until an outbound connection is up."""
        if self.closing:
            self.context.counters.count("send_closed")
        elif self._ready:
            self._write(data)
        else:
            self._pending.append(data)

    def close(self) -> None:
        """Close after flushing what is written (a TLS close_notify first, RFC 8446 §6.1)."""
        if self._closed:
            return
        self._closed = True
        self._cancel_timer()
        if self._io is not None:
            self._io.close()
        else:
            self._finish()

    def abort(self) -> None:
        """Drop the connection at once, without flushing (used on shutdown)."""
        self._closed = True
        if self._io is not None:
            self._io.abort()
        self._finish()

    def fail(self, reason: str, detail: str) -> None:
        """The connection could not be opened (or its TLS handshake failed): count it, and
        report each queued message to `on_send_error` with the address it was sent to."""
        self.context.drop(reason, self.peer, detail)
        lost = list(self._pending)
        self.abort()
        handler = self.context.on_send_error
        if handler is not None:
            for data in lost:
                handler(Destination(self.peer), reason, data)

    def _finish(self) -> None:
        """Forget this connection (idempotent): table entry, timer, queued bytes."""
        self._closed = True
        self._cancel_timer()
        self._pending.clear()
        if self.id:
            self.context.table.remove(self.id)
        self.context.connections.discard(self)

    def _write(self, data: bytes) -> None:
        if self._io is not None and not self._io.is_closing():
            self._io.write(data)

    def _arm(self) -> None:
        """Keep one timer at the idle/message deadline; only an earlier deadline re-arms it."""
        deadline = self._timer.next_deadline()
        if self._handle is not None and self._armed <= deadline:
            return
        self._cancel_timer()
        self._armed = deadline
        self._handle = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._handle = None
        reason = self._timer.expired(self._loop.time())
        if reason is None:
            self._arm()
            return
        detail = f"{self._framer.buffered} bytes buffered"
        self.context.drop(reason, self.peer, detail)
        self.close()

    def _cancel_timer(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.replace("\n", " ")[:200]


class StreamListener:
    """One TCP or TLS listening socket and the connections it accepted."""

    def __init__(self, context: StreamContext, local: Address, server: asyncio.Server | None):
        self.context = context
        self.counters = context.counters
        self.local = local
        self._server = server

    def close(self) -> None:
        """Stop accepting and drop every connection and handshake under way."""
        if self._server is not None:
            self._server.close()
        for task in list(self.context.tasks):
            task.cancel()
        for connection in list(self.context.connections):
            connection.abort()

    async def wait_closed(self) -> None:
        """Wait until the listening socket is closed and every task has unwound."""
        if self._server is not None:
            await self._server.wait_closed()
        if self.context.tasks:
            await asyncio.wait(list(self.context.tasks))


async def start_stream(
    context: StreamContext, host: str, port: int, tls: ssl.SSLContext | None
) -> StreamListener:
    """Listen for TCP (`tls` None) or TLS on host:port (IPv4 or IPv6, port 0 for any)."""
    if tls is not None:
        return _start_tls(context, host, port, tls)
    server = await asyncio.get_running_loop().create_server(
        lambda: StreamConnection(context), host, port
    )
    bound = server.sockets[0].getsockname()
    return StreamListener(context, Address(context.transport, bound[0], bound[1]), server)


def _start_tls(context: StreamContext, host: str, port: int, tls: ssl.SSLContext) -> StreamListener:
    sock = _listening_socket(host, port)
    bound = sock.getsockname()
    # Closed when the accept loop ends, even if it is cancelled before its first step.
    context.spawn(_accept_tls(context, sock, tls)).add_done_callback(lambda _: sock.close())
    return StreamListener(context, Address(context.transport, bound[0], bound[1]), None)


def _listening_socket(host: str, port: int) -> socket.socket:
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


async def _accept_tls(context: StreamContext, sock: socket.socket, tls: ssl.SSLContext) -> None:
    """Accept loop of a TLS listener: the cap is checked before the handshake starts."""
    loop = asyncio.get_running_loop()
    while True:
        client, address = await loop.sock_accept(sock)
        peer = Address(context.transport, address[0], address[1])
        if not context.admits(peer):
            client.close()
            continue
        connection = StreamConnection(context, peer=peer)
        context.spawn(_handshake(connection, client, tls))


async def _handshake(
    connection: StreamConnection, sock: socket.socket, tls: ssl.SSLContext
) -> None:
    """TLS server handshake (RFC 3261 §26.2.1), bounded by `connect_timeout`."""
    loop = asyncio.get_running_loop()
    timeout = connection.context.conn_limits.connect_timeout
    try:
        await loop.connect_accepted_socket(
            lambda: connection, sock, ssl=tls, ssl_handshake_timeout=timeout
        )
    except Exception as error:  # ssl.SSLError, ConnectionError, TimeoutError: the peer's doing
        sock.close()
        connection.fail("tls_handshake_failed", _describe(error))
    except asyncio.CancelledError:
        sock.close()
        connection.abort()
        raise


def connect(
    context: StreamContext, address: Address, tls: ssl.SSLContext | None
) -> StreamConnection:
    """Open an outbound connection to `address` (§18.1: TCP or TLS towards the next hop).

    Returns at once with the connection registered; messages sent before it is up are queued.
    A failure (refused, timeout, bad certificate) is counted as `connect_failed` and reported.
    """
    connection = StreamConnection(context, peer=address, inbound=False)
    context.spawn(_open(connection, address, tls))
    return connection


async def _open(connection: StreamConnection, address: Address, tls: ssl.SSLContext | None) -> None:
    loop = asyncio.get_running_loop()
    limits = connection.context.conn_limits
    try:
        async with asyncio.timeout(limits.connect_timeout):
            await loop.create_connection(
                lambda: connection,
                address.host,
                address.port,
                ssl=tls,
                server_hostname=address.host if tls is not None else None,
                ssl_handshake_timeout=limits.connect_timeout if tls is not None else None,
            )
    except Exception as error:  # OSError, ssl.SSLError, TimeoutError
        connection.fail("connect_failed", _describe(error))
