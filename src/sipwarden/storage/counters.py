"""Failure counters shared by the nodes of a cluster (docs/cluster.md, "Brute force").

How this works: `add(key, now, window)` records one failure under `key` (e.g. `ip:192.0.2.7`
or `acct:alice@example.com`) at `now` and returns how many failures `key` has within the last
`window` seconds, this one included. Every node adds to the same counter, so a guesser who
spreads wrong passwords over three nodes is counted once, as on one node.

- SQLite: one row per failure in `failure_counter`; each `add` deletes the key's rows older
  than the window, inserts, counts (one transaction; the file serializes its writers).
- Redis: a sorted set per key, `P fail:<key>`, scored by time; each `add` is one MULTI/EXEC of
  ZREMRANGEBYSCORE (forget what left the window), ZADD, ZCARD and EXPIRE (the key disappears
  one window after the last failure), so concurrent nodes never lose a count. Members are
  unique (time plus a random tag), so two failures in one microsecond count twice.

Times are wall-clock seconds passed in (STYLE 2); StoreUnavailable when Redis is down.
"""

from __future__ import annotations

import math
import secrets
import sqlite3
from typing import TYPE_CHECKING, Protocol

from sipwarden.storage.sqlite import migrate

if TYPE_CHECKING:
    from redis.asyncio import Redis

COMPONENT = "failure_counters"
MIGRATIONS = (
    """
    CREATE TABLE failure_counter (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX failure_counter_key_at ON failure_counter (key, at)
    """,
)


class FailureCounter(Protocol):
    """Sliding-window failure counts shared by every node of one state store."""

    async def add(self, key: str, now: float, window: float) -> int:
        """Record a failure of `key` at `now`; the failures of `key` within `window` seconds
        up to `now`, this one included."""
        ...


class SqliteFailureCounter:
    """FailureCounter in the SQLite file (nodes sharing one file on one machine)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        migrate(conn, COMPONENT, MIGRATIONS)
        self._conn = conn

    async def add(self, key: str, now: float, window: float) -> int:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "DELETE FROM failure_counter WHERE key = ? AND at <= ?", (key, now - window)
            )
            conn.execute("INSERT INTO failure_counter (key, at) VALUES (?, ?)", (key, now))
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM failure_counter WHERE key = ?", (key,)
            ).fetchone()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return int(count)


class RedisFailureCounter:
    """FailureCounter on a caller-owned Redis client; StoreUnavailable when Redis is down."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    async def add(self, key: str, now: float, window: float) -> int:
        from sipwarden.storage.redis_client import guarded

        name = f"{self._prefix}fail:{key}"
        member = f"{now:.6f}:{secrets.token_hex(4)}"
        async with guarded(), self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", now - window)
            pipe.zadd(name, {member: now})
            pipe.zcard(name)
            pipe.expire(name, max(1, math.ceil(window)))
            replies = await pipe.execute()
        return int(replies[2])


class MemoryFailureCounter:
    """FailureCounter in memory (tests, and a node without a shared store)."""

    def __init__(self) -> None:
        self._times: dict[str, list[float]] = {}

    async def add(self, key: str, now: float, window: float) -> int:
        kept = [at for at in self._times.get(key, []) if at > now - window]
        kept.append(now)
        self._times[key] = kept
        return len(kept)
