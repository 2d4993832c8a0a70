"""Cluster membership and health: every node writes a heartbeat to the state store, any node
lists them (docs/cluster.md, "Nodes and their health").

How this works: each second a node calls `heartbeat(node, now)` with what it is (name,
listeners, version, start time) and how its stores answer (`health`, e.g. {"state": "ok",
"storage": "ok"}); the store keeps the latest description with `last_seen = now`.
`nodes(now)` returns every node seen within the last `FORGET` seconds, by name, each `alive`
when seen within `ttl` seconds (default 5): a node that stopped, was killed or lost its state
store shows as not alive for a minute, then disappears. SQLite keeps one row per node (older
rows are deleted at the next heartbeat); Redis keeps one key per node that expires
(storage/redis_nodes.py, kept apart so the embedded default runs without the redis package).
Times are wall-clock seconds passed in (STYLE 2); nodes compare each other's clocks, so keep
them in sync (NTP).
"""

from __future__ import annotations

import asyncio
import builtins
import json
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sipwarden import __version__
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.sqlite import migrate

COMPONENT = "nodes"
DEFAULT_TTL = 5.0  # seconds since its last heartbeat for a node to count as alive
FORGET = 60.0  # seconds after its last heartbeat a node is dropped from the list
PROBE_TIMEOUT = 1.0  # seconds a health check may take (a heartbeat goes out every second)
MIGRATIONS = (
    """
    CREATE TABLE cluster_node (
        name TEXT PRIMARY KEY,
        info TEXT NOT NULL,
        last_seen REAL NOT NULL
    )
    """,
)
Probe = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """One node as the others see it; `last_seen` and `alive` are filled in by `nodes()`."""

    name: str
    listeners: tuple[str, ...] = ()
    version: str = ""
    started: float = 0.0
    health: Mapping[str, str] = field(default_factory=dict)
    last_seen: float = 0.0
    alive: bool = False

    def to_json(self) -> dict[str, Any]:
        """The admin API's item: {"name", "listeners", "version", "started", "health",
        "last_seen", "alive"}."""
        return {
            "name": self.name,
            "listeners": list(self.listeners),
            "version": self.version,
            "started": self.started,
            "health": dict(self.health),
            "last_seen": self.last_seen,
            "alive": self.alive,
        }

    def stored(self) -> str:
        """The JSON a store keeps (without `last_seen` and `alive`, which it computes)."""
        data = self.to_json()
        del data["last_seen"], data["alive"]
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_stored(cls, text: str, last_seen: float, alive: bool) -> NodeInfo:
        data = json.loads(text)
        return cls(
            name=str(data["name"]),
            listeners=tuple(str(item) for item in data.get("listeners", ())),
            version=str(data.get("version", "")),
            started=float(data.get("started", 0.0)),
            health={str(k): str(v) for k, v in data.get("health", {}).items()},
            last_seen=last_seen,
            alive=alive,
        )


class NodeRegistry(Protocol):
    """The nodes sharing one state store."""

    ttl: float

    async def heartbeat(self, node: NodeInfo, now: float) -> None:
        """Record that `node` is running at `now` (StoreUnavailable when the store is down)."""
        ...

    async def nodes(self, now: float) -> builtins.list[NodeInfo]:
        """Every node seen within FORGET seconds of `now`, by name."""
        ...


def node_name(hostname: str, listeners: Sequence[str]) -> str:
    """A default name that tells apart nodes on one machine: `host/first-listener`."""
    return f"{hostname}/{listeners[0]}" if listeners else hostname


async def probe(checks: Mapping[str, Probe], timeout: float = PROBE_TIMEOUT) -> dict[str, str]:
    """The health of a node: "ok" per check that answers within `timeout` seconds, else
    "unavailable: why"."""
    health: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), timeout)
        except StoreUnavailable as exc:
            health[name] = f"unavailable: {exc.detail}"
        except TimeoutError:
            health[name] = f"unavailable: no answer within {timeout:g} s"
        else:
            health[name] = "ok"
    return health


async def beat(
    registry: NodeRegistry,
    listeners: Sequence[str],
    started: float,
    health: Mapping[str, str],
    now: float,
) -> NodeInfo:
    """One heartbeat of this node (the server's housekeeping sends one every second), named
    `node_name(this host, listeners)`; `health` as `probe()` gives it, e.g. {"state": "ok",
    "storage": "unavailable: why"}. StoreUnavailable when the registry's own store is down
    (the other nodes then see this one go silent)."""
    listed = tuple(listeners)
    name = node_name(socket.gethostname(), listed)
    node = NodeInfo(name, listed, __version__, started, dict(health))
    await registry.heartbeat(node, now)
    return node


def seen(node: NodeInfo, last_seen: float, now: float, ttl: float) -> NodeInfo:
    """`node` with its `last_seen` and whether that makes it alive at `now`."""
    return replace(node, last_seen=last_seen, alive=now - last_seen <= ttl)


class SqliteNodeRegistry:
    """The nodes in the SQLite file (nodes sharing one file on one machine, or a lone node)."""

    def __init__(self, conn: sqlite3.Connection, *, ttl: float = DEFAULT_TTL) -> None:
        migrate(conn, COMPONENT, MIGRATIONS)
        self._conn = conn
        self.ttl = ttl

    async def heartbeat(self, node: NodeInfo, now: float) -> None:
        self._conn.execute(
            "INSERT INTO cluster_node (name, info, last_seen) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET info = excluded.info, last_seen = excluded.last_seen",
            (node.name, node.stored(), now),
        )
        self._conn.execute("DELETE FROM cluster_node WHERE last_seen < ?", (now - FORGET,))

    async def nodes(self, now: float) -> builtins.list[NodeInfo]:
        rows = self._conn.execute(
            "SELECT info, last_seen FROM cluster_node WHERE last_seen >= ? ORDER BY name",
            (now - FORGET,),
        ).fetchall()
        found = [NodeInfo.from_stored(info, last_seen, False) for info, last_seen in rows]
        return [seen(node, node.last_seen, now, self.ttl) for node in found]
