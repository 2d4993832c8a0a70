"""Bans (by address) and locks (by account) that expire: a map plus a heap of expiry times.

The heap holds `(until, key)` for every timed entry ever put; entries that no longer match the
map (lifted, replaced) are skipped when they surface, and the heap is rebuilt when stale
entries outnumber live ones, so its size stays within twice the map's. At most `cap` entries:
putting one more evicts the one that would expire first.
"""

from __future__ import annotations

import heapq
from typing import Generic, Protocol, TypeVar


class Expiring(Protocol):
    @property
    def until(self) -> float | None: ...


R = TypeVar("R", bound=Expiring)


class Blocklist(Generic[R]):
    """Records keyed by address or account, each active until its `until` (None: forever)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._items: dict[str, R] = {}
        self._heap: list[tuple[float, str]] = []

    def get(self, key: str) -> R | None:
        return self._items.get(key)

    def all(self) -> list[R]:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def put(self, key: str, record: R) -> R | None:
        """Store `record` under `key`; return the record evicted to make room, if any."""
        self._items[key] = record
        if record.until is not None:
            heapq.heappush(self._heap, (record.until, key))
        self._compact()
        if len(self._items) <= self.cap:
            return None
        return self._evict(key)

    def remove(self, key: str) -> R | None:
        return self._items.pop(key, None)

    def next_deadline(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def expired(self, now: float) -> list[R]:
        """Remove and return the records whose `until` is at or before `now`, earliest first.

        The shield asks this twice for every request, and almost always nothing is due: when
        the heap is empty or its earliest `until`, stale or not, is after `now`, no live record
        can be due, so that answer skips the stale-entry walk (`next_deadline` still does it)."""
        heap = self._heap
        if not heap or heap[0][0] > now:
            return []
        out: list[R] = []
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            _, key = heapq.heappop(self._heap)
            out.append(self._items.pop(key))
        return out

    def _live(self, until: float, key: str) -> bool:
        record = self._items.get(key)
        return record is not None and record.until == until

    def _drop_stale(self) -> None:
        while self._heap and not self._live(*self._heap[0]):
            heapq.heappop(self._heap)

    def _compact(self) -> None:
        if len(self._heap) > 2 * len(self._items) + 16:
            self._heap = [entry for entry in self._heap if self._live(*entry)]
            heapq.heapify(self._heap)

    def _evict(self, keep: str) -> R:
        """Evict the record expiring first (a permanent one, oldest first, only if none is
        timed), never `keep`."""
        held: list[tuple[float, str]] = []
        while self._heap and (self._heap[0][1] == keep or not self._live(*self._heap[0])):
            entry = heapq.heappop(self._heap)
            if self._live(*entry):
                held.append(entry)
        victim = self._heap[0][1] if self._heap else next(k for k in self._items if k != keep)
        for entry in held:
            heapq.heappush(self._heap, entry)
        return self._items.pop(victim)
