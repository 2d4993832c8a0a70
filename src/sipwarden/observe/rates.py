"""Request and response rates over the last hour, for the dashboard's charts (pure).

How this works: every `step` seconds someone (the admin layer's sampler) passes the cumulative
totals from `Metrics.totals()` with the time; the history keeps the per-second rate of each
series over the last step, in a ring of `span / step` points. `snapshot()` is the JSON the
`rates.get` route returns: `{"step", "end", "requests": {METHOD: [...]}, "responses":
{CLASS: [...]}}`, oldest point first, every series the same length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

Totals = Mapping[str, Mapping[str, float]]


class RateHistory:
    """Per-second rates sampled every `step` seconds, the last `span` seconds of them."""

    def __init__(self, step: float = 10.0, span: float = 3600.0) -> None:
        self.step = step
        self._points: deque[tuple[float, dict[str, dict[str, float]]]] = deque(
            maxlen=max(1, int(span / step))
        )
        self._last: tuple[float, dict[str, dict[str, float]]] | None = None

    def sample(self, now: float, totals: Totals) -> None:
        """Record the totals at `now`; the rate is the increase since the previous sample."""
        current = {group: dict(series) for group, series in totals.items()}
        if self._last is not None:
            then, before = self._last
            elapsed = now - then
            if elapsed > 0:
                self._points.append((now, _rates(before, current, elapsed)))
        self._last = (now, current)

    def snapshot(self) -> dict[str, Any]:
        """The points so far, every series padded with zeros where it did not exist yet."""
        groups: dict[str, set[str]] = {}
        for _, point in self._points:
            for group, series in point.items():
                groups.setdefault(group, set()).update(series)
        result: dict[str, Any] = {
            "step": self.step,
            "end": self._points[-1][0] if self._points else None,
            "times": [at for at, _ in self._points],
        }
        for group in ("requests", "responses", *sorted(set(groups) - {"requests", "responses"})):
            names = sorted(groups.get(group, ()))
            result[group] = {
                name: [point.get(group, {}).get(name, 0.0) for _, point in self._points]
                for name in names
            }
        return result


def _rates(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], elapsed: float
) -> dict[str, dict[str, float]]:
    rates: dict[str, dict[str, float]] = {}
    for group, series in after.items():
        old = before.get(group, {})
        rates[group] = {
            name: round(max(0.0, value - old.get(name, 0.0)) / elapsed, 3)
            for name, value in series.items()
        }
    return rates
