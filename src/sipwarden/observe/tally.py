"""Counter and histogram families kept as plain Python numbers, exported at scrape time.

How this works: prometheus_client's `Counter.inc` and `Histogram.observe` take a lock per call
and search the buckets in Python (~1-1.5 us each); the server records a few of them per SIP
message. Here a counter family is a dict from label values to a `Series` whose `value` the hot
path bumps in place, and a histogram keeps per-bucket counts in a `Buckets`; both number
holders are compiled (counts.py), the families here are `Collector`s (interpreted, as they
subclass prometheus_client's): at scrape time they build the same families prometheus_client's
own metrics would (names, HELP, type, label order, `_total`/`_created`, cumulative `_bucket`,
`_count`, `_sum`), so the exposition does not change. The server is one asyncio thread and a
scrape collects without awaiting, so no lock is needed for a consistent read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import prometheus_client.metrics
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from sipwarden.observe.counts import Buckets, Series

__all__ = ["Buckets", "CounterTally", "HistogramTally", "Series", "SnapshotCounter"]


def _created_samples() -> bool:
    """Whether `_created` samples are exposed: prometheus_client's own switch
    (PROMETHEUS_DISABLE_CREATED_SERIES, `disable_created_metrics()`), read at scrape time."""
    return bool(getattr(prometheus_client.metrics, "_use_created", True))


class CounterTally(Collector):
    """A counter family with labels; a series appears (at 0) on its first `series()` call, as a
    prometheus_client child does on `labels()`."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._series: dict[tuple[str, ...], Series] = {}

    def series(self, *labels: str) -> Series:
        """The series for these label values (in `labelnames` order), created if new."""
        found = self._series.get(labels)
        if found is None:
            found = self._series[labels] = Series()
        return found

    def sum_by(self, label: str) -> dict[str, float]:
        """Values added up per value of one label, in first-use order."""
        index = self.labelnames.index(label)
        sums: dict[str, float] = {}
        for labels, series in self._series.items():
            sums[labels[index]] = sums.get(labels[index], 0.0) + series.value
        return sums

    def describe(self) -> Iterable[Metric]:
        yield CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        created = _created_samples()
        for labels, series in self._series.items():
            family.add_metric(labels, series.value, series.created if created else None)
        yield family


class HistogramTally(Collector):
    """A histogram without labels: `observe` adds to one bucket's count and to the sum."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        bounds = [float(b) for b in buckets]
        if bounds != sorted(bounds) or not bounds:
            raise ValueError(f"{name}: buckets must be sorted and not empty")
        # The counts live in a compiled `Buckets` (counts.py), which the hot path observes into.
        self.buckets = Buckets(bounds if bounds[-1] == math.inf else [*bounds, math.inf])
        # The `le` values as prometheus_client spells them ("0.0001", "+Inf"); it is untyped.
        les = [floatToGoString(b) for b in self.buckets.bounds]  # type: ignore[no-untyped-call]
        self._les: list[str] = les
        self._created = time.time()

    def observe(self, value: float) -> None:
        """One observation (see `Buckets.observe`)."""
        self.buckets.observe(value)

    def describe(self) -> Iterable[Metric]:
        yield Metric(self.name, self.documentation, "histogram")

    def collect(self) -> Iterable[Metric]:
        family = Metric(self.name, self.documentation, "histogram")
        count = 0.0
        for le, bucket in zip(self._les, self.buckets.counts):
            count += bucket
            family.add_sample(f"{self.name}_bucket", {"le": le}, count)
        family.add_sample(f"{self.name}_count", {}, count)
        if self.buckets.bounds[0] >= 0:  # a negative bucket makes the sum meaningless
            family.add_sample(f"{self.name}_sum", {}, self.buckets.sum)
        if _created_samples():
            family.add_sample(f"{self.name}_created", {}, self._created)
        yield family


class SnapshotCounter(Collector):
    """A counter family read from a callable at scrape time (STYLE 11: snapshots, not
    internals): `snapshot()` maps one label's values to counts by the other's."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: tuple[str, str],
        snapshot: Callable[[], Mapping[str, Mapping[str, int]]],
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for outer, counts in sorted(self._snapshot().items()):
            for inner, count in sorted(counts.items()):
                family.add_metric([outer, inner], count)
        yield family
