"""Whether the node's stores answer: probed each second, logged once per change, exposed.

How this works: the housekeeping loop calls `check()` every second; it pings the state store
(SQLite or Redis) and the storage (SQLite or PostgreSQL), each bounded by `PROBE_TIMEOUT`,
sets the `sipwarden_store_up{store}` gauge, and logs "state store unavailable: why" when a store
stops answering and "state store back" when it answers again: one line per change, not one per
second. `report()` records a StoreUnavailable seen elsewhere (the housekeeping itself) the
same way. The admin `status()` shows `snapshot()`. Reconnecting is the stores' job: their
clients retry with backoff and the next probe finds them back (docs/cluster.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sipwarden.observe.metrics import Metrics
from sipwarden.storage.nodes import probe

log = logging.getLogger("sipwarden.server")
PROBE_TIMEOUT = 1.0  # seconds a store may take to answer its probe (one probe per second)
LABELS = {"state": "state store", "storage": "storage"}

Probe = Callable[[], Awaitable[None]]


class StoreWatch:
    """The health of the stores named in `probes` ("state", "storage"); all up at start."""

    def __init__(
        self, probes: Mapping[str, Probe], metrics: Metrics, backends: Mapping[str, str]
    ) -> None:
        self.probes = dict(probes)
        self.metrics = metrics
        self.backends = dict(backends)  # name -> "redis", "postgresql", "sqlite"
        self.problems: dict[str, str] = {}  # name -> why, while it is down
        for name in self.probes:
            metrics.set_store_up(name, True)

    def up(self, name: str) -> bool:
        return name not in self.problems

    async def check(self) -> None:
        """Probe every store and record what changed."""
        for name, health in (await probe(self.probes, PROBE_TIMEOUT)).items():
            if health == "ok":
                self.report(name, None)
            else:
                self.report(name, health.removeprefix("unavailable: "))

    def report(self, name: str, problem: str | None) -> None:
        """`name` answered (`problem` None) or did not (why); logged when that changes."""
        label = LABELS.get(name, name)
        if problem is None and name in self.problems:
            del self.problems[name]
            log.info("%s back", label)
        elif problem is not None and name not in self.problems:
            self.problems[name] = problem
            log.warning("%s unavailable: %s", label, problem)
        self.metrics.set_store_up(name, problem is None)

    def health(self) -> dict[str, str]:
        """{"state": "ok", "storage": "unavailable: why"}: the cluster heartbeat's `health`."""
        return {
            name: "ok" if name not in self.problems else f"unavailable: {self.problems[name]}"
            for name in self.probes
        }

    def snapshot(self) -> dict[str, Any]:
        """{"state": {"backend": "redis", "up": true, "problem": null}, "storage": ...}."""
        return {
            name: {
                "backend": self.backends.get(name, ""),
                "up": name not in self.problems,
                "problem": self.problems.get(name),
            }
            for name in self.probes
        }
