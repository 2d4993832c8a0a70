"""What a transaction hands to its adapter and its TU (RFC 3261 §17): values, drained in order.

`Send` carries bytes for this transaction's peer (the adapter knows the address and the
transport). Everything else is for the TU.

Several are made per message, so they are `Value`s (sipwarden/value.py: compiled equality, hash
and repr by fields) rather than frozen dataclasses. `TransportError` and `Terminated` carry
nothing: the transactions hand out the one instance of each (`TRANSPORT_ERROR`, `TERMINATED`).
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.sip import Request, Response
from sipwarden.transaction.timers import Timer
from sipwarden.value import Value


class Send(Value):
    """Put `data` on the wire to this transaction's peer (a request, an ACK or a response)."""

    __slots__ = ("data",)
    _names: ClassVar[tuple[str, ...]] = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data: Final = data

    def _fields(self) -> tuple[object, ...]:
        return (self.data,)


class ResponseReceived(Value):
    """A response the client transaction passes up to the TU (§17.1.1.2, §17.1.2.2)."""

    __slots__ = ("response",)
    _names: ClassVar[tuple[str, ...]] = ("response",)

    def __init__(self, response: Response) -> None:
        self.response: Final = response

    def _fields(self) -> tuple[object, ...]:
        return (self.response,)


class RequestReceived(Value):
    """A request the server transaction passes up: the one that created it (§17.2.1,
    §17.2.2), or an ACK received in the Accepted state (RFC 6026 §8.7)."""

    __slots__ = ("request",)
    _names: ClassVar[tuple[str, ...]] = ("request",)

    def __init__(self, request: Request) -> None:
        self.request: Final = request

    def _fields(self) -> tuple[object, ...]:
        return (self.request,)


class TimedOut(Value):
    """Timer B, F or H fired: the transaction failed.

    For a client transaction `response` is a locally made 408 (Request Timeout), which the TU
    treats as if it had been received (§8.1.3.1 for a UAC, §16.7 step 2 / §16.8 for a proxy).
    It is None for Timer H (the ACK never came, §17.2.1).
    """

    __slots__ = ("response", "timer")
    _names: ClassVar[tuple[str, ...]] = ("timer", "response")

    def __init__(self, timer: Timer, response: Response | None = None) -> None:
        self.timer: Final = timer
        self.response: Final = response

    def _fields(self) -> tuple[object, ...]:
        return (self.timer, self.response)


class TransportError(Value):
    """Sending a message of this transaction failed (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2)."""

    __slots__ = ()

    def _fields(self) -> tuple[object, ...]:
        return ()


class Discarded(Value):
    """A message that matched this transaction but means nothing in its state was dropped.

    `reason` is a stable code for monitoring (STYLE: every drop is observable).
    """

    __slots__ = ("message", "reason")
    _names: ClassVar[tuple[str, ...]] = ("message", "reason")

    def __init__(self, message: Request | Response, reason: str) -> None:
        self.message: Final = message
        self.reason: Final = reason

    def _fields(self) -> tuple[object, ...]:
        return (self.message, self.reason)


class Terminated(Value):
    """The transaction reached "Terminated" and must be destroyed (§17.1.1.2 and the like)."""

    __slots__ = ()

    def _fields(self) -> tuple[object, ...]:
        return ()


TRANSPORT_ERROR: Final = TransportError()
TERMINATED: Final = Terminated()

Event = (
    Send | ResponseReceived | RequestReceived | TimedOut | TransportError | Discarded | Terminated
)
