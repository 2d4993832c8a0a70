"""Bounded counters over sliding windows, and a capped least-recently-used map.

A `SlidingLog` keeps at most `limit + 1` timestamps, so "more than `limit` events in the last
`window` seconds" is exact (an event at `t` counts while `now - t < window`) and its memory is
fixed by the configuration, not by the traffic. `DistinctLog` does the same for distinct keys
(users probed, OPTIONS targets). `Lru` evicts the least recently touched entry beyond its cap:
a flood of spoofed source addresses cannot grow memory without bound.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class SlidingLog:
    """The times of the last `limit + 1` events, in a ring of C doubles (8 bytes each)."""

    __slots__ = ("_size", "_start", "_times", "window")

    def __init__(self, limit: int, window: float) -> None:
        self._times = array("d", bytes(8 * (limit + 1)))
        self._start = 0
        self._size = 0
        self.window = window

    def add(self, now: float) -> int:
        """Record an event at `now`; return how many events fall in the window (capped at
        limit + 1)."""
        cap = len(self._times)
        if self._size == cap:
            self._times[self._start] = now
            self._start = (self._start + 1) % cap
        else:
            self._times[(self._start + self._size) % cap] = now
            self._size += 1
        return self.count(now)

    def count(self, now: float) -> int:
        cap = len(self._times)
        while self._size and now - self._times[self._start] >= self.window:
            self._start = (self._start + 1) % cap
            self._size -= 1
        return self._size

    def clear(self) -> None:
        self._start = self._size = 0


class DistinctLog:
    """The last time each of at most `limit` distinct keys was seen."""

    __slots__ = ("_seen", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self.limit = limit
        self.window = window

    def add(self, key: str, now: float) -> int:
        """Record `key` at `now`; return how many distinct keys fall in the window."""
        self._seen[key] = now
        self._seen.move_to_end(key)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return self.count(now)

    def count(self, now: float) -> int:
        while self._seen and now - next(iter(self._seen.values())) >= self.window:
            self._seen.popitem(last=False)
        return len(self._seen)

    def clear(self) -> None:
        self._seen.clear()


class Lru(Generic[K, V]):
    """A map of at most `cap` entries; `get` makes one (and touches it), evicting the oldest."""

    def __init__(self, cap: int, make: Callable[[], V]) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self.cap = cap
        self._make = make
        self.evicted = 0

    def get(self, key: K) -> V:
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = self._make()
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
                self.evicted += 1
        else:
            self._items.move_to_end(key)
        return item

    def peek(self, key: K) -> V | None:
        return self._items.get(key)

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)
