"""DNS answers kept until their TTL runs out, in a bounded LRU (pure: `now` is an argument).

Positive answers live for their TTL (capped by `max_ttl`); negative ones (NXDOMAIN, or a name
without records of the type) for the RFC 2308 §5 negative TTL, min(SOA TTL, SOA MINIMUM),
capped by `max_negative_ttl`. When full, the least recently used entry goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """The records of one (name, type) and the time they stop being valid."""

    records: tuple[T, ...]
    expires: float


class DnsCache:
    """(name, rdtype) -> records, with expiry; `max_entries` bounds the memory used."""

    def __init__(
        self, max_entries: int = 4096, max_ttl: float = 86400.0, max_negative_ttl: float = 300.0
    ) -> None:
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.max_negative_ttl = max_negative_ttl
        self._entries: OrderedDict[tuple[str, str], Entry[object]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str, rdtype: str, now: float) -> Entry[object] | None:
        """The live entry for (name, rdtype), or None (an expired one is dropped)."""
        key = (name, rdtype)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def expiry(self, ttl: float, now: float, *, negative: bool = False) -> float:
        """When an answer with this TTL received at `now` expires, after the caps."""
        limit = self.max_negative_ttl if negative else self.max_ttl
        return now + max(0.0, min(ttl, limit))

    def put(self, name: str, rdtype: str, records: tuple[object, ...], expires: float) -> None:
        """Keep `records` (empty: a negative answer) for (name, rdtype) until `expires`."""
        key = (name, rdtype)
        self._entries[key] = Entry(records, expires)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
