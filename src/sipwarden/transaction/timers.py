"""RFC 3261 timers (§17, Table 4; §16.6 for C) and RFC 6026 Timers L and M.

T1, T2 and T4 are configuration; every lettered timer is derived from them and from whether the
transport is reliable. A timer that "is not started" on a reliable transport (A, E, G) has no
duration; one that is "0 s for reliable transports" (D, I, J, K) has a duration of zero, which the
transactions treat as firing at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sipwarden.errors import LocalError


class Timer(enum.Enum):
    """The timers of RFC 3261 Table 4 and RFC 6026 §8.11, plus §17.2.1's 200 ms 100 (Trying)."""

    TIMER_A = "A"  # INVITE request retransmit interval, UDP only (§17.1.1.2)
    TIMER_B = "B"  # INVITE transaction timeout (§17.1.1.2)
    TIMER_C = "C"  # proxy INVITE transaction timeout, a proxy-core timer (§16.6 step 11)
    TIMER_D = "D"  # wait time for response retransmits (§17.1.1.2)
    TIMER_E = "E"  # non-INVITE request retransmit interval, UDP only (§17.1.2.2)
    TIMER_F = "F"  # non-INVITE transaction timeout (§17.1.2.2)
    TIMER_G = "G"  # INVITE response retransmit interval (§17.2.1)
    TIMER_H = "H"  # wait time for ACK receipt (§17.2.1)
    TIMER_I = "I"  # wait time for ACK retransmits (§17.2.1)
    TIMER_J = "J"  # wait time for non-INVITE request retransmits (§17.2.2)
    TIMER_K = "K"  # wait time for response retransmits (§17.1.2.2)
    TIMER_L = "L"  # wait time for accepted INVITE request retransmits (RFC 6026 §8.11)
    TIMER_M = "M"  # wait time for retransmission of 2xx to INVITE (RFC 6026 §8.11)
    TIMER_TRYING = "100"  # §17.2.1: send 100 (Trying) unless the TU answers within 200 ms

    # Members are singletons compared by identity: hash them by identity too, in C, instead of
    # Enum.__hash__ (a Python call hashing the name) on every dict and set lookup of the engine.
    __hash__ = object.__hash__


# Timers whose interval doubles when they fire; E and G stop doubling at T2 (§17.1.2.2, §17.2.1).
_DOUBLING = frozenset({Timer.TIMER_A, Timer.TIMER_E, Timer.TIMER_G})
_CAPPED_AT_T2 = frozenset({Timer.TIMER_E, Timer.TIMER_G})


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """T1 (RTT estimate), T2 (maximum retransmit interval) and T4 (maximum message lifetime).

    `timer_c` is the proxy's Timer C ("greater than 3 minutes", §16.6 step 11) and
    `trying_delay` the 200 ms of §17.2.1, both kept here so no timer value lives in code.
    """

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    timer_c: float = 181.0
    trying_delay: float = 0.2
    # duration() for every timer, over unreliable and reliable transports: computed once, as
    # it is asked for each timer a transaction starts.
    _durations: tuple[dict[Timer, float | None], dict[Timer, float | None]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not 0 < self.t1 <= self.t2:
            raise LocalError("timers need 0 < T1 <= T2")
        if self.t4 <= 0 or self.trying_delay <= 0:
            raise LocalError("T4 and the 100 (Trying) delay must be positive")
        if self.timer_c <= 180:
            raise LocalError("Timer C must be greater than 3 minutes (RFC 3261 §16.6)")
        durations = (
            {timer: self._duration(timer, reliable=False) for timer in Timer},
            {timer: self._duration(timer, reliable=True) for timer in Timer},
        )
        object.__setattr__(self, "_durations", durations)

    def duration(self, timer: Timer, *, reliable: bool) -> float | None:
        """The initial value of `timer` (Table 4), or None when it is not started at all."""
        return self._durations[reliable][timer]

    def _duration(self, timer: Timer, *, reliable: bool) -> float | None:
        if reliable and timer in _DOUBLING:
            return None  # §17.1.1.2, §17.1.2.2, §17.2.1: retransmit only over unreliable
        return self._reliable(timer) if reliable else self._unreliable(timer)

    def _unreliable(self, timer: Timer) -> float:
        t1 = self.t1
        table = {
            Timer.TIMER_A: t1,
            Timer.TIMER_D: max(32.0, 64 * t1),  # "at least 32 s"; and at least a server's H
            Timer.TIMER_E: t1,
            Timer.TIMER_G: t1,
            Timer.TIMER_I: self.t4,
            Timer.TIMER_J: 64 * t1,
            Timer.TIMER_K: self.t4,
        }
        value = table.get(timer)
        return self._any(timer) if value is None else value

    def _reliable(self, timer: Timer) -> float:
        if timer in (Timer.TIMER_D, Timer.TIMER_I, Timer.TIMER_J, Timer.TIMER_K):
            return 0.0
        return self._any(timer)

    def _any(self, timer: Timer) -> float:
        """Timers whose value does not depend on the transport."""
        if timer is Timer.TIMER_C:
            return self.timer_c
        if timer is Timer.TIMER_TRYING:
            return self.trying_delay
        return 64 * self.t1  # B, F, H, L, M

    def backoff(self, timer: Timer, interval: float) -> float:
        """The next interval of a retransmit timer that fired after `interval` seconds.

        A doubles without bound (§17.1.1.2); E and G double up to T2 (§17.1.2.2, §17.2.1).
        """
        if timer not in _DOUBLING:
            raise LocalError(f"{timer.name} is not a retransmission timer")
        doubled = 2 * interval
        return min(doubled, self.t2) if timer in _CAPPED_AT_T2 else doubled


DEFAULT_TIMERS = TimerConfig()
