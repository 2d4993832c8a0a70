"""Least-cost routing: Request-URI user prefixes -> ordered gateway groups (pure).

The longest prefix of the (rewritten) Request-URI user wins; `""` is the catch-all. A call
is offered to the groups in order, each group's destinations in its own failover order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LcrEntry:
    prefix: str
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LcrTable:
    """Entries by prefix; `lookup(user)` returns the longest prefix's entry or None."""

    entries: tuple[LcrEntry, ...] = ()

    def lookup(self, user: str | None) -> LcrEntry | None:
        best: LcrEntry | None = None
        for entry in self.entries:
            fits = user is not None and user.startswith(entry.prefix)
            if fits and (best is None or len(entry.prefix) > len(best.prefix)):
                best = entry
        return best
