"""One TCP or TLS connection, inbound or out (RFC 3261 §18): the asyncio Protocol.

How this works: a plain TCP connection is refused before reading a byte when its source IP
already holds `max_per_ip` connections, else registered in the shared `ConnectionTable`; TLS
and outbound connections arrive admitted and registered (stream_listen.py, stream_connect.py).
Bytes go to one `StreamFramer` (§18.3 Content-Length framing); each whole message goes through
`accept_message` (validate, stamp `received`/`rport`) and up with the connection id, so the
response returns on it (§18.2.2). A CRLF CRLF ping is answered with a CRLF pong (RFC 5626
§3.5.1). A framing error is answered from the bytes the framer still holds when the Via can be
read, then the connection is closed. `IdleTimer` closes connections that finish no message in
time, which also ends slow-loris peers. What is sent before an outbound connection is up is
queued, and lost messages are reported through `on_send_error` if it never comes up. A peer
that does not read what we send stops our reading too (backpressure, `ConnectionProtocol`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from sipwarden.errors import ParseError
from sipwarden.sip import KeepAlive, Request, Response, StreamFramer
from sipwarden.transport.address import Address, Destination
from sipwarden.transport.connections import IdleTimer, alias_target
from sipwarden.transport.inbound import (
    Rejected,
    accept_message,
    framing_error,
    message_error,
)
from sipwarden.transport.protocol import ConnectionContext, ConnectionProtocol
from sipwarden.transport.tls import peer_certificate_names

log = logging.getLogger(__name__)
# (where it was going, reason code, the bytes that were not sent): one call per lost message
SendErrorHandler = Callable[[Destination, str, bytes], None]
PONG = b"\r\n"  # RFC 5626 §3.5.1: a CRLF CRLF ping is answered by a single CRLF


@dataclass
class StreamContext(ConnectionContext):
    """What every connection of one TCP/TLS listener (or of the outbound side) shares."""

    on_send_error: SendErrorHandler | None = None
    connections: set[StreamConnection] = field(default_factory=set)


class StreamConnection(ConnectionProtocol):
    """One TCP or TLS connection; satisfies the `connections.Connection` protocol.

    Built with `peer` when the peer is known before the transport exists (outbound, and TLS
    accepted through `accept.Handshakes`): it is registered at once, messages sent meanwhile
    are queued, and a second request to the same peer finds it (§18.1 reuse). Without `peer`
    (plain TCP from `create_server`) it is admitted and registered in `connection_made`.
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
        self._peer_names: tuple[str, ...] | None = None
        self._ready = False
        self._closed = False
        self._pending: list[bytes] = []
        limits = context.limits
        self._framer = StreamFramer(max_size=limits.max_size, max_headers=limits.max_headers)
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

    def peer_names(self) -> tuple[str, ...]:
        """The TLS peer's certificate names and fingerprint (`tls.peer_certificate_names`);
        () for TCP or a peer without a certificate. Read once per connection."""
        if self._peer_names is None:
            ssl_object = None if self._io is None else self._io.get_extra_info("ssl_object")
            self._peer_names = peer_certificate_names(ssl_object)
        return self._peer_names

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
        framer.feed(data)
        read = framer.pending()  # one copy a read (at most max_size): a bad message's own bytes
        now = self._loop.time()
        while not self._closed and self._next(now, read):
            pass
        if not self._closed:
            self._timer.on_bytes(now, framer.buffered)
            self._arm()

    def _next(self, now: float, read: bytes) -> bool:
        """Handle the framer's next event; False when it needs more bytes or framing is lost.

        A ParseError after the framer moved past the message (a bad start line, §18.3 framing
        intact) is answered like a datagram from that message's bytes, cut from `read` (the
        framer's `pending()` bytes after this read was fed, whose tail it still holds), and
        reading goes on; one that left the bytes in place means the next message's start is
        unknown: answer from `pending()` if possible and close.
        """
        framer = self._framer
        before = framer.buffered
        try:
            event = framer.next_event()
        except ParseError as error:
            consumed = before - framer.buffered
            if consumed <= 0:
                self._framing_error(framer.pending(), error)
                return False
            self._timer.on_message(now)
            start = len(read) - before
            self._reject(message_error(read[start : start + consumed], error))
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
