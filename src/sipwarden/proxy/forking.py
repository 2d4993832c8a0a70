"""Target groups for serial forking by q-value (RFC 3261 §16.6, §16.7 step 4 on redirects)."""

from __future__ import annotations

from collections.abc import Iterable

from sipwarden.proxy.targets import Target, TargetGroup


def groups_by_q(targets: Iterable[Target], timeout: float | None = None) -> list[TargetGroup]:
    """One group per distinct q-value, highest first (a missing q counts as 1.0, §20.10); the
    targets of a group keep their order and are forked in parallel."""
    by_q: dict[float, list[Target]] = {}
    for target in targets:
        by_q.setdefault(1.0 if target.q is None else target.q, []).append(target)
    return [TargetGroup(tuple(by_q[q]), timeout) for q in sorted(by_q, reverse=True)]
