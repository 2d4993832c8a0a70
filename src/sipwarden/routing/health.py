"""Gateway health from OPTIONS probes: a state machine per destination (pure).

How this works: every destination starts UP. The proxy asks `on_timeout(now)` which
destinations are due for a probe (each group's `probing.interval`), sends them OPTIONS, and
reports each outcome with `probe_result(dest, ok, detail, now)`: `ok` for any final response
(RFC 3261 §11.2: a UAS may answer OPTIONS with any final status; a response proves it is
alive), not ok for a timeout or a transport error. `down_after` failures in a row take an UP
destination DOWN, `up_after` successes in a row bring a DOWN one back UP; every change is
kept in a history with its reason: "down at 12:03:07: 3 OPTIONS timed out".

Transitions are a table: (state, probe succeeded) -> (counter it advances, the threshold that
ends the run, the state after it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from sipwarden.routing.gateways import Destination, GatewayGroup, Probing


class Health(Enum):
    UP = "up"
    DOWN = "down"


# (state, ok) -> (does this input advance the run towards a change, threshold, next state)
TRANSITIONS: dict[tuple[Health, bool], tuple[bool, str, Health]] = {
    (Health.UP, True): (False, "down_after", Health.UP),
    (Health.UP, False): (True, "down_after", Health.DOWN),
    (Health.DOWN, True): (True, "up_after", Health.UP),
    (Health.DOWN, False): (False, "up_after", Health.DOWN),
}


@dataclass(frozen=True, slots=True)
class HealthChange:
    """`destination` became `state` at `at` (wall clock) because of `reason`."""

    destination: Destination
    state: Health
    at: float
    reason: str

    def __str__(self) -> str:
        clock = datetime.fromtimestamp(self.at, UTC).strftime("%H:%M:%S")
        return f"{self.state.value} at {clock}: {self.reason}"


@dataclass
class _Entry:
    probing: Probing
    state: Health = Health.UP
    run: list[str] = field(default_factory=list)  # details of the probes towards a change
    due: float = 0.0
    history: list[HealthChange] = field(default_factory=list)


class HealthTracker:
    """The health of every destination of `groups`; `history_size` changes kept for each."""

    def __init__(self, groups: Iterable[GatewayGroup], now: float, history_size: int = 100) -> None:
        self._entries: dict[Destination, _Entry] = {}
        self._history_size = history_size
        for group in groups:
            for destination in group.destinations:
                self._entries[destination] = _Entry(group.probing, due=now)

    def adopt(self, old: HealthTracker) -> None:
        """After a reload: keep the state, run, schedule and history of every destination
        that is still configured (same group, URI, weight and priority) from `old`."""
        for destination, entry in self._entries.items():
            previous = old._entries.get(destination)
            if previous is not None:
                entry.state, entry.run = previous.state, list(previous.run)
                entry.due, entry.history = previous.due, list(previous.history)

    def is_up(self, destination: Destination) -> bool:
        """Whether `destination` may be used (unknown destinations count as up)."""
        entry = self._entries.get(destination)
        return entry is None or entry.state is Health.UP

    def state(self, destination: Destination) -> Health:
        return Health.UP if self.is_up(destination) else Health.DOWN

    def history(self, destination: Destination) -> tuple[HealthChange, ...]:
        return tuple(self._entries[destination].history)

    def probe_result(
        self, destination: Destination, ok: bool, detail: str, now: float
    ) -> HealthChange | None:
        """Feed one probe outcome; the state change it caused, if any. A destination no
        longer configured (a probe sent before a reload) is ignored."""
        entry = self._entries.get(destination)
        if entry is None:
            return None
        advances, threshold, after = TRANSITIONS[entry.state, ok]
        if not advances:
            entry.run.clear()
            return None
        entry.run.append(detail)
        if len(entry.run) < getattr(entry.probing, threshold):
            return None
        change = HealthChange(destination, after, now, _reason(entry.run, ok))
        entry.state = after
        entry.run.clear()
        entry.history.append(change)
        del entry.history[: -self._history_size]
        return change

    def on_timeout(self, now: float) -> list[Destination]:
        """The destinations to probe now; each is scheduled again one interval later."""
        due = []
        for destination, entry in self._entries.items():
            if entry.probing.interval > 0 and entry.due <= now:
                due.append(destination)
                entry.due = now + entry.probing.interval
        return due

    def next_deadline(self) -> float | None:
        """When the next probe is due (None: nothing is probed)."""
        times = [e.due for e in self._entries.values() if e.probing.interval > 0]
        return min(times) if times else None


def _reason(details: list[str], ok: bool) -> str:
    count = len(details)
    if len(set(details)) == 1:
        return f"{count} OPTIONS {details[0]}"
    verb = "answered" if ok else "failed"
    return f"{count} OPTIONS {verb} ({'; '.join(details)})"
