"""The numbers behind the counter and histogram families, bumped on the hot path.

How this works: `Series` is one labelled counter (its value and when it was first used) and
`Buckets` one histogram's per-bucket counts and sum. They are plain classes with no base, so
this module is compiled with mypyc ([tool.sipwarden.compile]): the server bumps a series or
observes a latency for every SIP message, and from compiled code (`Metrics`, the dispatcher)
that is then a native call and an in-place add, not an interpreted frame. The `Collector`s of
tally.py (interpreted: they subclass prometheus_client's) read them at scrape time.
"""

from __future__ import annotations

import time


class Series:
    """One labelled counter: its value and when it was first used (unix time)."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()


class Buckets:
    """A histogram's counts per bucket and sum; `bounds` are sorted and end with +Inf."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: list[float]) -> None:
        self.bounds = bounds
        self.counts = [0.0] * len(bounds)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """One observation; it lands in the first bucket whose bound is >= `value` (a NaN in
        none, as in prometheus_client, while it still goes into the sum). A linear scan: the
        latency buckets are few and most observations fall in the first ones."""
        if value == value:
            bounds = self.bounds
            index = 0
            while bounds[index] < value:  # the last bound is +Inf: the scan stops there
                index += 1
            self.counts[index] += 1.0
        self.sum += value
