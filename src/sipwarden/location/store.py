"""The location service behind an interface (RFC 3261 §10: "the location service").

How this works: the registrar is pure. It never reads or writes a store; it is a function from
(the current bindings of an address-of-record, a REGISTER) to (an answer, the new bindings).
`LocationStore.update` runs that function atomically against the stored set: read the
unexpired bindings, call `change`, write what it returns as the whole new set, in one
transaction (SQLite: `BEGIN IMMEDIATE`; a shared store such as Redis: WATCH/MULTI and retry).
So two REGISTERs for one AoR, even on two servers sharing a store, never lose each other's
binding, and RFC 3261 §10.3 ("REGISTER requests MUST be processed by a registrar in the order
that they are received", and "binding updates MUST be committed ... if and only if all binding
updates and additions succeed") holds without the registrar knowing where bindings live.

`change` must be pure: a store may call it more than once (an optimistic retry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sipwarden.location.binding import Binding

T = TypeVar("T")


class LocationStore(Protocol):
    """Where bindings live. Times are wall-clock seconds (`time.time()`)."""

    async def lookup(self, aor: str, now: float) -> list[Binding]:
        """The unexpired bindings of `aor`, highest q first (see `binding.lookup_order`)."""
        ...

    async def update(
        self,
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> T:
        """Atomically: read `aor`'s unexpired bindings (lookup order), call `change` on them,
        store the list it returns as `aor`'s complete new set, and return its first element.

        Expired bindings of `aor` that are still stored are dropped with the old set. If
        `change` raises, nothing is written and the exception propagates. LocalError when the
        new set holds a binding of another AoR or one contact twice.
        """
        ...

    async def expire(self, now: float) -> list[Binding]:
        """Remove every binding whose `expires_at` is at or before `now` and return them.

        The server calls this at `next_expiry()` so bindings go away on time (RFC 3261
        §10.2.1.1: a binding lasts as long as its expiration interval, no longer).
        """
        ...

    async def next_expiry(self) -> float | None:
        """The earliest `expires_at` of any stored binding, or None when there is none."""
        ...

    async def all(self, now: float, limit: int = 1000, prefix: str = "") -> list[Binding]:
        """Up to `limit` unexpired bindings whose AoR starts with `prefix`, by AoR then in
        lookup order (the admin listing and search)."""
        ...

    async def remove(self, aor: str, contact: str | None = None) -> int:
        """Remove `aor`'s binding of `contact` (the exact text), or all its bindings when
        `contact` is None; return how many were removed (the admin removal)."""
        ...

    async def count(self, now: float) -> int:
        """How many unexpired bindings there are, over all AoRs."""
        ...

    async def close(self) -> None:
        """Release the store's resources; the store is not used afterwards."""
        ...
