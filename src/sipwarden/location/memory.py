"""A LocationStore in a dict: for tests and for embedding where nothing must survive a restart.

Every method runs to completion without awaiting, so on one event loop `update` is atomic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sipwarden.location.binding import Binding, check_binding_set, sorted_bindings

T = TypeVar("T")


class MemoryLocationStore:
    """Bindings per AoR in a dict (see `LocationStore` for the contract)."""

    def __init__(self) -> None:
        self._bindings: dict[str, list[Binding]] = {}

    async def lookup(self, aor: str, now: float) -> list[Binding]:
        return self._current(aor, now)

    async def update(
        self,
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> T:
        result, new = change(self._current(aor, now))
        check_binding_set(aor, new)
        if new:
            self._bindings[aor] = list(new)
        else:
            self._bindings.pop(aor, None)
        return result

    async def expire(self, now: float) -> list[Binding]:
        gone: list[Binding] = []
        for aor, bindings in list(self._bindings.items()):
            kept = [b for b in bindings if not b.expired(now)]
            if len(kept) == len(bindings):
                continue
            gone.extend(b for b in bindings if b.expired(now))
            if kept:
                self._bindings[aor] = kept
            else:
                del self._bindings[aor]
        return sorted(gone, key=lambda b: (b.expires_at, b.aor, b.contact))

    async def next_expiry(self) -> float | None:
        times = [b.expires_at for bindings in self._bindings.values() for b in bindings]
        return min(times, default=None)

    async def all(self, now: float, limit: int = 1000, prefix: str = "") -> list[Binding]:
        found = [
            b
            for aor in sorted(self._bindings)
            if aor.startswith(prefix)
            for b in self._current(aor, now)
        ]
        return found[: max(limit, 0)]

    async def remove(self, aor: str, contact: str | None = None) -> int:
        bindings = self._bindings.pop(aor, [])
        if contact is None:
            return len(bindings)
        kept = [b for b in bindings if b.contact != contact]
        if kept:
            self._bindings[aor] = kept
        return len(bindings) - len(kept)

    async def count(self, now: float) -> int:
        return sum(not b.expired(now) for bs in self._bindings.values() for b in bs)

    async def close(self) -> None:
        self._bindings.clear()

    def _current(self, aor: str, now: float) -> list[Binding]:
        return sorted_bindings(b for b in self._bindings.get(aor, ()) if not b.expired(now))
