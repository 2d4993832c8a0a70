"""One accepted WS or WSS connection (RFC 7118): the asyncio Protocol around a `WsSession`.

How this works: a connection is refused before reading a byte when its source IP already
holds `table.max_per_ip` connections, else registered in the shared `ConnectionTable`. Bytes go
to the pure session; each whole WebSocket message goes through the same `accept_datagram` as a
UDP datagram (RFC 7118 §5: message-framed, so no Content-Length framing); good messages go up
with the connection id so the response returns on it (RFC 3261 §18.2.2, WS being a reliable
transport), a stateless error goes back on the same connection, and every drop is counted and
logged with its source.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import cast

from sipwarden.transport.address import Address
from sipwarden.transport.inbound import Rejected, accept_datagram
from sipwarden.transport.protocol import ConnectionContext, ConnectionProtocol
from sipwarden.transport.ws_session import WsDrop, WsMessage, WsOpened, WsSession

log = logging.getLogger(__name__)


@dataclass
class WsContext(ConnectionContext):
    """What every connection of one WS or WSS listener shares."""

    local: Address = field(default_factory=lambda: Address("WS", "", 0))
    connections: set[WsConnection] = field(default_factory=set)
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def remember(self, connection: WsConnection) -> None:
        self.connections.add(connection)
        self.idle.clear()

    def forget(self, connection: WsConnection) -> None:
        self.connections.discard(connection)
        if not self.connections:
            self.idle.set()


class WsConnection(ConnectionProtocol):
    """One accepted WS/WSS connection; satisfies the `connections.Connection` protocol.

    A WS connection is admitted in `connection_made`; a WSS one by the accept loop before its
    TLS handshake (`admit`), so `connection_made` then brings the TLS transport.
    """

    def __init__(self, context: WsContext) -> None:
        self.context = context
        self.id = 0
        self.transport = context.transport
        self.peer = Address(self.transport, "", 0)
        self.local = context.local
        self._loop = asyncio.get_running_loop()
        self._io: asyncio.Transport | None = None
        self._session: WsSession | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._gone = False

    @property
    def closing(self) -> bool:
        """True until the WebSocket is open (nothing can be sent yet) and from the first Close
        frame either way, so the table never hands out a connection that cannot send."""
        return self._gone or self._session is None or not self._session.open

    def admit(self, host: str, port: int) -> bool:
        """Refuse a source IP over `max_per_ip` before reading a byte, else register us.

        Neither RFC 7118 nor RFC 6455 sets one; the cap is the shared table's `max_per_ip`."""
        self.peer = Address(self.transport, host, port)
        table = self.context.table
        if not self.context.admits(self.peer):
            self._gone = True
            return False
        self.id = table.new_id()
        table.add(self, inbound=True)
        self.context.remember(self)
        return True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        io = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self._io = io
        if self._gone or (not self.id and not self.admit(*io.get_extra_info("peername")[:2])):
            io.abort()
            return
        limits = self.context.conn_limits
        self._session = WsSession(self.context.limits.max_size, limits, self._loop.time())
        self._flush()

    def fail(self, reason: str, detail: str) -> None:
        """The WSS handshake failed (the accept loop's report): count it and forget us."""
        self.context.drop(reason, self.peer, detail)
        self._finish()

    def data_received(self, data: bytes) -> None:
        if self._session is not None:
            self._session.receive_data(data, self._loop.time())
            self._pump()

    def eof_received(self) -> bool:
        if self._session is not None:
            self._session.receive_data(None, self._loop.time())
            self._pump()
        return False  # close our side too: RFC 6455 §7.1.1, the server closes the TCP first

    def connection_lost(self, exc: Exception | None) -> None:
        if self._session is not None and not self._gone:
            self._session.receive_data(None, self._loop.time())
            self._handle_events()
        self._finish()

    def send(self, data: bytes) -> None:
        """Send one SIP message as one WebSocket message (RFC 7118 §5); counted if closed."""
        if self._gone or self._session is None or not self._session.send_message(data):
            self.context.counters.count("send_closed")
            return
        self._flush()

    def close(self) -> None:
        """Start the closing handshake (RFC 6455 §7.1.2); the table forgets us once it is done."""
        if self._session is not None:
            self._session.close(self._loop.time())
            self._flush()

    def going_away(self) -> None:
        """The listener is closing: Close 1001 (RFC 6455 §7.4.1), then hang up."""
        if self._session is not None:
            self._session.going_away()
            self._flush()

    def abort(self) -> None:
        """Drop the connection at once, without flushing."""
        if self._io is not None:
            self._io.abort()
        self._finish()

    def _pump(self) -> None:
        """After input: hand the session's events up, then flush what it wants written."""
        self._handle_events()
        self._flush()

    def _flush(self) -> None:
        """Write the session's bytes, hang up once it is finished, else re-arm its timer.

        Never hands events up, so a `send` from inside `on_message` cannot recurse into the
        next message of the same read."""
        session, io = self._session, self._io
        if session is None or io is None or self._gone:
            return
        data = session.data_to_send()
        if data and not io.is_closing():
            io.write(data)
        if session.finished:
            io.close()
        self._arm(session.next_deadline())

    def _handle_events(self) -> None:
        while self._session is not None and (event := self._session.next_event()) is not None:
            if isinstance(event, WsMessage):
                self._on_message(event.data)
            elif isinstance(event, WsDrop):
                self.context.drop(event.reason, self.peer, event.detail)
            elif isinstance(event, WsOpened):
                log.debug("%s open id=%d peer=%s", self.transport, self.id, self.peer)

    def _on_message(self, data: bytes) -> None:
        context = self.context
        outcome = accept_datagram(data, self.peer, context.local, context.limits, self.id)
        if not isinstance(outcome, Rejected):
            context.on_message(outcome)
            return
        context.drop(outcome.reason, self.peer, outcome.detail)
        if outcome.reply is not None and self._session is not None:
            self._session.send_message(outcome.reply)

    def _arm(self, deadline: float | None) -> None:
        """Keep one `call_at` armed at the session's next deadline (STYLE 5)."""
        if self._timer is not None:
            if deadline is not None and self._timer.when() == deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._session is not None:
            self._session.on_timeout(self._loop.time())
            self._pump()

    def _finish(self) -> None:
        """Forget this connection (idempotent): timer, table entry, listener's set."""
        self._gone = True
        self._arm(None)
        if self.id:
            self.context.table.remove(self.id)
        self.context.forget(self)
