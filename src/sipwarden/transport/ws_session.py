"""One server-side WebSocket connection carrying SIP (RFC 7118), sans-IO over wsproto.

How this works: the adapter feeds received bytes (`receive_data`, None at end of stream) and the
clock (`on_timeout`); the session answers the HTTP Upgrade (RFC 6455 §4.2.2), insisting on the
`sip` subprotocol (RFC 7118 §4.1), reassembles each data message (RFC 6455 §5.4) and emits it
as one `WsMessage` (RFC 7118 §5: one SIP message per WebSocket message), answers pings
(§5.5.2), completes close handshakes (§7), enforces the message size limit (§10.4: endpoints
"MUST protect themselves against exceeding those limits") and the idle and partial-message
deadlines of `IdleTimer`. The adapter drains `next_event()`, writes `data_to_send()` and closes
the TCP connection once `finished` (§7.1.1: "the server SHOULD close the underlying TCP
connection first"). wsproto 1.3 has no message size option, so the session counts the bytes of
the message being reassembled and fails the connection with 1009 past `max_size`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import RemoteProtocolError

from sipwarden.transport.connections import ConnectionLimits, IdleTimer

SUBPROTOCOL = "sip"  # RFC 7118 §4.1: offered by the client, echoed in our 101
NO_SIP_BODY = b"Sec-WebSocket-Protocol must offer 'sip' (RFC 7118 section 4.1)\n"


@dataclass(frozen=True, slots=True)
class WsOpened:
    """The opening handshake completed with the `sip` subprotocol (RFC 6455 §4.2.2)."""

    target: str


@dataclass(frozen=True, slots=True)
class WsMessage:
    """One whole WebSocket data message: one SIP message (RFC 7118 §5)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class WsDrop:
    """Input refused or a connection cut short: `reason` is the reason code to count."""

    reason: str
    detail: str


WsEvent = WsOpened | WsMessage | WsDrop


class WsSession:
    """The WebSocket state of one accepted connection; `now` is the adapter's clock."""

    def __init__(self, max_size: int, limits: ConnectionLimits, now: float) -> None:
        self.max_size = max_size
        self.limits = limits
        self._ws = WSConnection(ConnectionType.SERVER)
        self._timer = IdleTimer(limits, now)
        self._timer.on_bytes(now, 1)  # the opening handshake is the first "message" to finish
        self._events: deque[WsEvent] = deque()
        self._out = bytearray()
        self._parts = bytearray()
        self._pending = False
        self._close_deadline: float | None = None
        self.finished = False

    @property
    def open(self) -> bool:
        """True while SIP messages may be sent (RFC 6455 §4.1 _The WebSocket Connection is
        Established_, before any Close frame)."""
        return not self.finished and self._ws.state is ConnectionState.OPEN

    def next_event(self) -> WsEvent | None:
        """The oldest event not yet taken, or None."""
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        """The bytes to write to the peer since the last call (HTTP, then WebSocket frames)."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def receive_data(self, data: bytes | None, now: float) -> None:
        """Bytes from the peer, or None when the peer closed its side of the TCP connection."""
        if self.finished or data == b"":  # h11 would take b"" for the end of the stream
            return
        if data is not None:
            self._pending = True
        try:
            self._ws.receive_data(data)
        except RemoteProtocolError as error:
            self._refuse_handshake("ws_handshake_invalid", str(error), error.event_hint)
            return
        self._drain(now)
        if data is None:
            self._lost()

    def send_message(self, data: bytes) -> bool:
        """Frame one SIP message: text when it is UTF-8, else binary (RFC 7118 §4.2, RFC 6455
        §5.6); False when the connection is not open."""
        if not self.open:
            return False
        try:
            frame = self._ws.send(TextMessage(data.decode("utf-8")))
        except UnicodeDecodeError:
            frame = self._ws.send(BytesMessage(data))
        self._out += frame
        return True

    def close(self, now: float, code: int = CloseReason.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake (RFC 6455 §7.1.2); before it opened, just hang up."""
        if self.finished:
            return
        if self._ws.state is ConnectionState.OPEN:
            self._out += self._ws.send(CloseConnection(code, reason or None))
            self._close_deadline = now + self.limits.message_timeout
        elif self._ws.state is not ConnectionState.LOCAL_CLOSING:
            self.finished = True

    def going_away(self) -> None:
        """The server is shutting down: send Close 1001 (RFC 6455 §7.4.1) and hang up now."""
        if self._ws.state is ConnectionState.OPEN:
            self._out += self._ws.send(CloseConnection(CloseReason.GOING_AWAY, "going away"))
        self.finished = True

    def next_deadline(self) -> float | None:
        """When `on_timeout` must next be called, None once finished (STYLE 2)."""
        if self.finished:
            return None
        if self._close_deadline is not None:
            return self._close_deadline
        return self._timer.next_deadline()

    def on_timeout(self, now: float) -> None:
        """Close on the idle or partial-message deadline; give up waiting for a Close reply."""
        deadline = self.next_deadline()
        if deadline is None or now < deadline:
            return
        if self._close_deadline is not None:
            self._drop("ws_close_timeout", "no Close frame in reply (RFC 6455 §7.1.1)")
            self.finished = True
            return
        reason = self._timer.expired(now) or "idle_timeout"
        idle = reason == "idle_timeout"
        limit = self.limits.idle_timeout if idle else self.limits.message_timeout
        self._drop(reason, f"no whole message within {limit} s")
        code = CloseReason.NORMAL_CLOSURE if idle else CloseReason.POLICY_VIOLATION
        self.close(now, code, reason.replace("_", " "))

    def _drain(self, now: float) -> None:
        for event in self._ws.events():
            self._handle(event, now)
            if self.finished:
                return
        if self._pending:
            self._timer.on_bytes(now, 1)

    def _handle(self, event: Event, now: float) -> None:
        if isinstance(event, Request):
            self._on_request(event, now)
        elif isinstance(event, TextMessage | BytesMessage):
            self._on_data(event, now)
        elif isinstance(event, Ping):
            self._on_ping(event, now)
        elif isinstance(event, Pong):
            self._settled(now)
        elif isinstance(event, CloseConnection):
            self._on_close(event)

    def _settled(self, now: float) -> None:
        """A whole message, control frame or handshake arrived: the idle clock restarts."""
        self._pending = False
        self._timer.on_message(now)

    def _on_request(self, request: Request, now: float) -> None:
        if SUBPROTOCOL not in request.subprotocols:
            offered = ", ".join(request.subprotocols) or "none"
            self._refuse_handshake(
                "ws_no_sip_subprotocol", f"subprotocols offered: {offered}", _no_sip()
            )
            return
        self._out += self._ws.send(AcceptConnection(subprotocol=SUBPROTOCOL))
        self._settled(now)
        self._events.append(WsOpened(request.target))

    def _refuse_handshake(self, reason: str, detail: str, reply: Event | None) -> None:
        """RFC 6455 §4.2.1: answer a refused upgrade with an HTTP error ("such as 400 Bad
        Request"), then hang up. h11 can send a response even after a request it could not
        parse, so wsproto's suggested reply is always sendable while CONNECTING."""
        self._drop(reason, detail)
        if isinstance(reply, RejectConnection) and self._ws.state is ConnectionState.CONNECTING:
            self._out += self._ws.send(reply)
            if reply.has_body:
                self._out += self._ws.send(RejectData(NO_SIP_BODY))
        self.finished = True

    def _on_data(self, event: TextMessage | BytesMessage, now: float) -> None:
        if self._ws.state is not ConnectionState.OPEN:
            self._drop("ws_data_after_close", "data message after a Close frame (RFC 6455 §5.5.1)")
            return
        chunk = event.data.encode("utf-8") if isinstance(event, TextMessage) else event.data
        self._parts += chunk
        if len(self._parts) > self.max_size:
            self._drop("ws_message_too_big", f"message over {self.max_size} bytes")
            self._fail(CloseReason.MESSAGE_TOO_BIG, "message too big")
        elif event.message_finished:
            self._events.append(WsMessage(bytes(self._parts)))
            self._parts.clear()
            self._settled(now)

    def _on_ping(self, event: Ping, now: float) -> None:
        if self._ws.state is ConnectionState.OPEN:
            self._out += self._ws.send(event.response())  # RFC 6455 §5.5.3: Pong, same payload
        self._settled(now)

    def _on_close(self, event: CloseConnection) -> None:
        state = self._ws.state
        if state is ConnectionState.REMOTE_CLOSING:  # RFC 6455 §5.5.1: echo the Close
            self._out += self._ws.send(event.response())
            self._partial_check()
            self.finished = True
        elif state is ConnectionState.CLOSED:  # our Close answered, or the stream ended
            self._partial_check()
            self.finished = True
        else:  # wsproto reports a framing error as a Close event without changing state
            self._drop("ws_protocol_error", f"{event.code}: {event.reason}")
            self._fail(event.code, event.reason or "protocol error")

    def _fail(self, code: int, reason: str) -> None:
        """RFC 6455 §7.1.7 _Fail the WebSocket Connection_: send a Close if we can, hang up."""
        if self._ws.state is ConnectionState.OPEN:
            self._out += self._ws.send(CloseConnection(code, reason))
        self.finished = True

    def _lost(self) -> None:
        """The peer ended the TCP stream. Once open, wsproto has reported it as a Close with
        1006 (RFC 6455 §7.1.5); before the upgrade finished, it is counted here."""
        if not self.finished and self._ws.state is ConnectionState.CONNECTING:
            self._drop("ws_handshake_incomplete", "stream ended before the upgrade finished")
        self.finished = True

    def _partial_check(self) -> None:
        if self._parts:
            self._drop("closed_mid_message", f"{len(self._parts)} bytes of a message lost")
            self._parts.clear()

    def _drop(self, reason: str, detail: str) -> None:
        self._events.append(WsDrop(reason, detail))


def _no_sip() -> RejectConnection:
    headers = [
        (b"Content-Type", b"text/plain"),
        (b"Content-Length", str(len(NO_SIP_BODY)).encode()),
    ]
    return RejectConnection(status_code=400, headers=headers, has_body=True)
