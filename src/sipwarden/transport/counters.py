"""Counts of dropped and rejected input by reason code (STYLE 10: every drop is observable)."""

from __future__ import annotations

from collections import Counter


class DropCounters:
    """Reason code -> count; one instance per transport, read through `snapshot()`."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def count(self, reason: str) -> None:
        self._counts[reason] += 1

    def __getitem__(self, reason: str) -> int:
        return self._counts[reason]

    def snapshot(self) -> dict[str, int]:
        """A copy of the counts, safe to hand to a dashboard."""
        return dict(self._counts)
