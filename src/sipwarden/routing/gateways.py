"""Gateway groups: SIP trunks and PSTN gateways with selection and failover (pure).

`GatewayGroup.order(call_id, from_user, state)` is the failover list for one call: every
destination that is up, the first to try first. The proxy tries the next one when a
destination answers with a status in `failover.codes` (default 408 and 5xx), when sending
fails (`transport_error`) or nothing answers in time (`timeout`).

Selection:
- `round_robin`: start one further along the list for every call (`state.turns`);
- `weighted`: a random order where a destination comes first with probability weight/total
  (then the same among the rest), from `state.random`;
- `hash_call_id` / `hash_from`: start at CRC-32(Call-ID or From user) modulo the number of
  destinations, so one call (or caller) keeps its gateway while it is up;
- `priority`: lowest `priority` first, the list order between equals.
Rotation and hashing work over every configured destination and then leave out those that are
down, so a destination going down does not move the calls of the others.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from sipwarden.sip import SipUri, parse_uri


class Selection(Enum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    HASH_CALL_ID = "hash_call_id"
    HASH_FROM = "hash_from"
    PRIORITY = "priority"


@dataclass(frozen=True, slots=True)
class Destination:
    """One gateway of `group`: its SIP URI, weight (>= 1) and priority (lower first)."""

    group: str
    uri: str
    weight: int = 1
    priority: int = 0

    def target_for(self, ruri: str) -> str:
        """The Request-URI for this gateway: the user of `ruri` at the gateway's URI (host,
        port and parameters); the gateway URI itself when `ruri` has no user."""
        gateway = parse_uri(self.uri)
        original = parse_uri(ruri)
        user = getattr(original, "user", None) or getattr(original, "number", None)
        if isinstance(gateway, SipUri) and user:
            return str(gateway.replace(user=user))
        return self.uri


@dataclass(frozen=True, slots=True)
class Failover:
    """When to try the next destination: these final statuses, a transport error, a timeout."""

    codes: frozenset[int] = field(default_factory=lambda: frozenset({408, *range(500, 600)}))
    transport_error: bool = True
    timeout: bool = True

    def on_status(self, status: int) -> bool:
        return status in self.codes


@dataclass(frozen=True, slots=True)
class Probing:
    """OPTIONS health probes: every `interval` seconds (0: never, always up); a destination is
    marked down after `down_after` failures in a row and up after `up_after` successes."""

    interval: float = 30.0
    down_after: int = 3
    up_after: int = 2


@dataclass
class SelectionState:
    """What selection needs besides the call: which destinations are up (usually
    `HealthTracker.is_up`), a random source in [0, 1) for `weighted`, and the round-robin
    counters (owned by the caller, one per group)."""

    is_up: Callable[[Destination], bool]
    random: Callable[[], float]
    turns: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GatewayGroup:
    """`[gateways.NAME]`: destinations, selection, failover and probing."""

    name: str
    destinations: tuple[Destination, ...]
    selection: Selection = Selection.ROUND_ROBIN
    failover: Failover = field(default_factory=Failover)
    probing: Probing = field(default_factory=Probing)
    line: int | None = None

    def order(
        self, call_id: str, from_user: str | None, state: SelectionState
    ) -> list[Destination]:
        """The destinations to try for one call, in order, only those up."""
        ordered = self._ordered(call_id, from_user or "", state)
        return [d for d in ordered if state.is_up(d)]

    def _ordered(self, call_id: str, from_user: str, state: SelectionState) -> list[Destination]:
        every = list(self.destinations)
        if self.selection is Selection.PRIORITY:
            return sorted(every, key=lambda d: d.priority)
        if self.selection is Selection.WEIGHTED:
            return _weighted([d for d in every if state.is_up(d)], state.random)
        if self.selection is Selection.ROUND_ROBIN:
            turn = state.turns.get(self.name, 0)
            state.turns[self.name] = turn + 1
            return _rotate(every, turn)
        key = call_id if self.selection is Selection.HASH_CALL_ID else from_user
        return _rotate(every, zlib.crc32(key.encode()))


def _rotate(items: list[Destination], start: int) -> list[Destination]:
    start %= len(items)
    return items[start:] + items[:start]


def _weighted(items: list[Destination], random: Callable[[], float]) -> list[Destination]:
    left = list(items)
    ordered: list[Destination] = []
    while len(left) > 1:
        point = random() * sum(d.weight for d in left)
        for index, destination in enumerate(left):
            point -= destination.weight
            if point < 0 or index == len(left) - 1:
                ordered.append(left.pop(index))
                break
    return ordered + left
