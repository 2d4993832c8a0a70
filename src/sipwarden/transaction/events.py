"""What a transaction hands to its adapter and its TU (RFC 3261 §17): frozen, drained in order.

`Send` carries bytes for this transaction's peer (the adapter knows the address and the
transport). Everything else is for the TU.
"""

from __future__ import annotations

from dataclasses import dataclass

from sipwarden.sip import Request, Response
from sipwarden.transaction.timers import Timer


@dataclass(frozen=True, slots=True)
class Send:
    """Put `data` on the wire to this transaction's peer (a request, an ACK or a response)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """A response the client transaction passes up to the TU (§17.1.1.2, §17.1.2.2)."""

    response: Response


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A request the server transaction passes up: the one that created it (§17.2.1,
    §17.2.2), or an ACK received in the Accepted state (RFC 6026 §8.7)."""

    request: Request


@dataclass(frozen=True, slots=True)
class TimedOut:
    """Timer B, F or H fired: the transaction failed.

    For a client transaction `response` is a locally made 408 (Request Timeout), which the TU
    treats as if it had been received (§8.1.3.1 for a UAC, §16.7 step 2 / §16.8 for a proxy).
    It is None for Timer H (the ACK never came, §17.2.1).
    """

    timer: Timer
    response: Response | None = None


@dataclass(frozen=True, slots=True)
class TransportError:
    """Sending a message of this transaction failed (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2)."""


@dataclass(frozen=True, slots=True)
class Discarded:
    """A message that matched this transaction but means nothing in its state was dropped.

    `reason` is a stable code for monitoring (STYLE: every drop is observable).
    """

    message: Request | Response
    reason: str


@dataclass(frozen=True, slots=True)
class Terminated:
    """The transaction reached "Terminated" and must be destroyed (§17.1.1.2 and the like)."""


Event = (
    Send | ResponseReceived | RequestReceived | TimedOut | TransportError | Discarded | Terminated
)
