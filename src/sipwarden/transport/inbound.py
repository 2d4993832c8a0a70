"""The checks every received datagram goes through, kept pure (STYLE: no decisions in adapters).

RFC 3261 §18.2.1 and §18.1.2: parse, validate, answer a malformed but addressable request with a
stateless error (§16.3/§18.2, via `stateless_error`), drop the rest with a reason code, and stamp
`received`/`rport` on good requests (RFC 3581 §4). Used by UDP; WebSocket frames (RFC 7118 §5)
are datagrams too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from sipwarden.errors import ParseError
from sipwarden.sip import (
    MAX_HEADERS,
    MAX_MESSAGE_SIZE,
    Request,
    Response,
    parse_datagram,
    stateless_error,
)
from sipwarden.transport.address import Address, Received
from sipwarden.transport.stamping import stamp_received
from sipwarden.value import Value

KEEPALIVE = frozenset({b"\r\n", b"\r\n\r\n"})  # RFC 5626 §3.5.1 CRLF keep-alives


class Rejected(Value):
    """A datagram not handed up: `reason` is a reason code, `reply` bytes to send back or None.

    A `Value` (see sipwarden/value.py): one is made for every keep-alive and bad message.
    """

    __slots__ = ("detail", "reason", "reply")
    _names: ClassVar[tuple[str, ...]] = ("reason", "detail", "reply")
    reason: Final[str]
    detail: Final[str]
    reply: Final[bytes | None]

    def __init__(self, reason: str, detail: str, reply: bytes | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.reply = reply

    def _fields(self) -> tuple[object, ...]:
        return (self.reason, self.detail, self.reply)


_KEEPALIVE_REJECTED = Rejected("keepalive", "CRLF keep-alive datagram")


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits given to the parser (STYLE 7: size limits are arguments)."""

    max_size: int = MAX_MESSAGE_SIZE
    max_headers: int = MAX_HEADERS


def accept_datagram(
    data: bytes, source: Address, local: Address, limits: Limits, connection: int | None = None
) -> Received | Rejected:
    """One datagram in; a Received to hand up, or a Rejected with an optional stateless reply."""
    if len(data) <= 4 and data in KEEPALIVE:  # the length first: no hash of every datagram
        return _KEEPALIVE_REJECTED
    try:
        message = parse_datagram(data, max_size=limits.max_size, max_headers=limits.max_headers)
        message.validate()
        if isinstance(message, Request):
            stamp_received(message, source)
    except ParseError as error:
        return message_error(data, error)
    return Received(message, source, local, connection)


def accept_message(
    message: Request | Response, source: Address, local: Address, connection: int | None
) -> Received | Rejected:
    """A message a stream framer produced (RFC 3261 §18.3): validate and stamp it like a
    datagram (§18.2.1, RFC 3581 §4). A bad message is answered from its own bytes; the stream's
    framing is intact, so the connection stays open."""
    try:
        message.validate()
        if isinstance(message, Request):
            stamp_received(message, source)
    except ParseError as error:
        return message_error(message.serialize(), error)
    return Received(message, source, local, connection)


def framing_error(buffered: bytes, error: ParseError) -> Rejected:
    """A stream whose framing is lost (§18.3: no usable Content-Length, too large, a broken
    header section): answer from the bytes buffered so far when the Via can be read; the caller
    then closes the connection, since the next message's start cannot be found."""
    reply = stateless_error(buffered, error)
    reason = "framing_error_answered" if reply is not None else "framing_error_dropped"
    return Rejected(reason, f"{error.status} {error.reason}", reply)


def message_error(data: bytes, error: ParseError) -> Rejected:
    """One bad message (datagram, or a framed one on a stream): a stateless error answer when
    it is an addressable request (§16.3, §18.2), else a drop."""
    reply = stateless_error(data, error)
    reason = "parse_error_answered" if reply is not None else "parse_error_dropped"
    return Rejected(reason, f"{error.status} {error.reason}", reply)
