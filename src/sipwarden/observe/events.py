"""Security and traffic events for the dashboard: `Event` and the `EventBus` that fans them out.

How this works: the server publishes one `Event` per observation (a registration, a failed
authentication, a drop, a ban ...). The bus keeps the last `capacity` events in a ring buffer
(for a page that opens late), tallies the sources of offending events (top offenders), and
calls every subscriber synchronously. Pure: no asyncio, no clock (`at` is given by the caller);
the admin layer wraps a subscriber around an asyncio queue for Server-Sent Events.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

KINDS = (
    "register",
    "unregister",
    "auth_failure",
    "call_start",
    "call_end",
    "drop",
    "reject",
    "ban",
    "unban",
    "lock",
    "unlock",
    "fraud_alert",
)
OFFENCES = frozenset({"auth_failure", "drop", "reject", "ban", "lock", "fraud_alert"})

Subscriber = Callable[["Event"], None]


@dataclass(frozen=True, slots=True)
class Event:
    """One observation: `kind` (see KINDS), its `reason` code, the `source` address (may be
    empty), the `account` it concerns (may be empty), and free-form JSON-able `detail`.
    `at` is wall-clock seconds since the epoch."""

    at: float
    kind: str
    reason: str = ""
    source: str = ""
    account: str = ""
    detail: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, Any]:
        """A plain dict for JSON (the admin API and the event stream)."""
        return {
            "at": self.at,
            "kind": self.kind,
            "reason": self.reason,
            "source": self.source,
            "account": self.account,
            "detail": dict(self.detail),
        }


class EventBus:
    """Publish events to subscribers; remember the last `capacity` and who offends most."""

    def __init__(self, capacity: int = 1000, max_sources: int = 10000) -> None:
        self._recent: deque[tuple[int, Event]] = deque(maxlen=capacity)
        self._subscribers: list[Subscriber] = []
        self._offenders: Counter[str] = Counter()
        self._max_sources = max_sources
        self._seq = 0

    @property
    def last_id(self) -> int:
        """The sequence number of the last event published (0: none yet)."""
        return self._seq

    def publish(self, event: Event) -> int:
        """Record `event`, hand it to every subscriber, return its sequence number.

        A subscriber that raises is removed: a broken reader must not stop the server."""
        self._seq += 1
        self._recent.append((self._seq, event))
        if event.kind in OFFENCES and event.source:
            self._tally(event.source)
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                self.unsubscribe(subscriber)
        return self._seq

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber(event)` for every event from now on; returns the unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self.unsubscribe(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def recent(self, limit: int | None = None, kinds: frozenset[str] | None = None) -> list[Event]:
        """The last `limit` events (all kept when None), oldest first, optionally by kind."""
        events = [e for _, e in self._recent if kinds is None or e.kind in kinds]
        return events if limit is None else events[-limit:] if limit > 0 else []

    def recent_with_ids(self, limit: int) -> list[tuple[int, Event]]:
        """The last `limit` events with their sequence numbers, oldest first."""
        return list(self._recent)[-limit:] if limit > 0 else []

    def top_offenders(self, limit: int = 10) -> list[tuple[str, int]]:
        """Sources with the most offending events (drops, rejects, failed auth, bans ...)."""
        return self._offenders.most_common(limit)

    def _tally(self, source: str) -> None:
        if source not in self._offenders and len(self._offenders) >= self._max_sources:
            # Bounded memory under a spoofed-source flood: forget the least offending half.
            keep = self._offenders.most_common(self._max_sources // 2)
            self._offenders = Counter(dict(keep))
        self._offenders[source] += 1
