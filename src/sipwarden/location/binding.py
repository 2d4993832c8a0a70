"""One registration: an address-of-record bound to a contact address (RFC 3261 §10.3).

Times are wall-clock seconds (`time.time()`), never a monotonic clock: bindings are stored and
must keep their meaning across a restart of the process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import ClassVar, Final

from sipwarden.errors import LocalError
from sipwarden.value import Value

# A Contact without q ranks as q=1.0: RFC 3261 leaves the default open (§20.10), and the
# usual reading (HTTP's, which SIP borrowed q from) is "fully preferred".
DEFAULT_Q = 1.0


class Binding(Value):
    """A contact bound to `aor` until `expires_at`.

    `aor` is canonical (`sipwarden.registrar.aor_of`); `contact` is the Contact URI text as the UA
    registered it; `call_id` and `cseq` are those of the REGISTER that last set the binding
    (§10.3 step 7 orders later updates against them); `path` holds the Path values of that
    REGISTER (RFC 3327 §5.3), in order; `source` is the transport address it came from
    (`str(Address)`, e.g. "udp:192.0.2.1:5060"); `instance` and `reg_id` are the Contact's
    `+sip.instance` and `reg-id` (RFC 5626 §4.1); `registered_at` is when the contact was first
    bound (kept across refreshes).

    A value: equal and hashed by its fields, never changed once made (the stores compare the
    set a REGISTER leaves with the stored one to write only what changed). A `Value` rather
    than a frozen dataclass: one is made per stored row read and per Contact registered (see
    sipwarden/value.py).
    """

    __slots__ = (
        "aor",
        "call_id",
        "contact",
        "cseq",
        "expires_at",
        "instance",
        "path",
        "q",
        "reg_id",
        "registered_at",
        "source",
        "user_agent",
    )
    _names: ClassVar[tuple[str, ...]] = (
        "aor",
        "contact",
        "expires_at",
        "q",
        "call_id",
        "cseq",
        "path",
        "source",
        "instance",
        "reg_id",
        "user_agent",
        "registered_at",
    )
    aor: Final[str]
    contact: Final[str]
    expires_at: Final[float]
    q: Final[float | None]
    call_id: Final[str]
    cseq: Final[int]
    path: Final[tuple[str, ...]]
    source: Final[str | None]
    instance: Final[str | None]
    reg_id: Final[int | None]
    user_agent: Final[str | None]
    registered_at: Final[float]

    def __init__(
        self,
        aor: str,
        contact: str,
        expires_at: float,
        q: float | None = None,
        call_id: str = "",
        cseq: int = 0,
        path: tuple[str, ...] = (),
        source: str | None = None,
        instance: str | None = None,
        reg_id: int | None = None,
        user_agent: str | None = None,
        registered_at: float = 0.0,
    ) -> None:
        self.aor = aor
        self.contact = contact
        self.expires_at = expires_at
        self.q = q
        self.call_id = call_id
        self.cseq = cseq
        self.path = path
        self.source = source
        self.instance = instance
        self.reg_id = reg_id
        self.user_agent = user_agent
        self.registered_at = registered_at

    def _fields(self) -> tuple[object, ...]:
        return (
            self.aor,
            self.contact,
            self.expires_at,
            self.q,
            self.call_id,
            self.cseq,
            self.path,
            self.source,
            self.instance,
            self.reg_id,
            self.user_agent,
            self.registered_at,
        )

    def remaining(self, now: float) -> int:
        """Whole seconds left at `now`, rounded down, never negative (the `expires` we report)."""
        return max(0, math.floor(self.expires_at - now + 1e-6))

    def expired(self, now: float) -> bool:
        """True once `now` reaches `expires_at`: the binding is gone (RFC 3261 §10.2.1.1)."""
        return self.expires_at <= now


def lookup_order(binding: Binding) -> tuple[float, float, str]:
    """Sort key: highest q first (RFC 3261 §16.6 tries targets by q), then the most recently
    registered, then the contact text so the order never depends on storage."""
    q = DEFAULT_Q if binding.q is None else binding.q
    return (-q, -binding.registered_at, binding.contact)


def sorted_bindings(bindings: Iterable[Binding]) -> list[Binding]:
    """`bindings` in lookup order (see `lookup_order`)."""
    ordered = list(bindings)
    if len(ordered) > 1:  # most AoRs have one binding: nothing to sort, no key to compute
        ordered.sort(key=lookup_order)
    return ordered


def check_binding_set(aor: str, bindings: list[Binding]) -> None:
    """LocalError unless every binding belongs to `aor` and no contact appears twice.

    Stores call this on the set a change function returns, so a bug in the registrar fails the
    same way on every store instead of tripping one store's unique index.
    """
    seen: set[str] = set()
    for binding in bindings:
        if binding.aor != aor:
            raise LocalError(f"binding for {binding.aor!r} in the set of {aor!r}")
        if binding.contact in seen:
            raise LocalError(f"contact {binding.contact!r} twice in the set of {aor!r}")
        seen.add(binding.contact)
