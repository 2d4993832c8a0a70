"""Nonce-count replay protection (RFC 7616 §3.4 "nc", §5.5; RFC 3261 §22.4).

How this works: a client that reuses a nonce must send a larger nc each time (00000001, 2, ...).
Nonces are stateless (nonce.py), so the one thing the server has to remember is, per nonce it
has accepted credentials for, the highest nc seen and when the nonce expires. `advance(nonce,
nc, expires, now)` records nc and returns True when it is greater than the highest seen; False
means the request is a replay (or the nonce has expired meanwhile). Only nonces with a good
digest reach the store, so an attacker cannot fill it: it holds at most the successful
authentications of one nonce lifetime, and expired rows are swept as `now` moves on.

Credentials without qop (RFC 2069 style) carry no nc: verify() reports nc=1, so such a nonce is
usable exactly once.

After a replay (advance returns False) the adapter answers with a fresh challenge carrying
stale=true: the digest was right, the client only needs a new nonce (RFC 7616 §3.3), and the
log reason is "nonce_replay".

This is storage, so it is the one module of the auth package with async methods: a cluster
backend (PostgreSQL, Redis) would do I/O here. The SQLite backend runs its one short statement
inline on the embedded WAL database (a local file: microseconds, bounded by the busy timeout of
`storage.sqlite.connect` when another worker holds the write lock).
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from sipwarden.errors import LocalError
from sipwarden.storage.sqlite import migrate

DEFAULT_SWEEP_INTERVAL = 60.0
MIGRATIONS = (
    "CREATE TABLE nonce_counts ("
    " nonce TEXT PRIMARY KEY, nc INTEGER NOT NULL, expires REAL NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX nonce_counts_expires ON nonce_counts (expires)",
)


class NonceCountStore(Protocol):
    """The highest nonce-count seen per nonce, shared by every worker of a deployment."""

    async def advance(self, nonce: str, nc: int, expires: float, now: float) -> bool:
        """Record `nc` for `nonce` and return True when it is greater than the highest seen so
        far (none seen counts as 0); False for a replay or an expired nonce (`expires <= now`).
        """
        ...


class _Sweeper:
    """When to delete expired entries: at most once per `interval` seconds of `now`."""

    __slots__ = ("_interval", "_next")

    def __init__(self, interval: float) -> None:
        if not interval > 0:
            raise LocalError("the sweep interval must be positive")
        self._interval = interval
        self._next = float("-inf")

    def due(self, now: float) -> bool:
        if now < self._next:
            return False
        self._next = now + self._interval
        return True


class MemoryNonceCounts:
    """A dict-backed NonceCountStore for one process (tests, single-worker deployments)."""

    def __init__(self, sweep_interval: float = DEFAULT_SWEEP_INTERVAL) -> None:
        self._seen: dict[str, tuple[int, float]] = {}
        self._sweeper = _Sweeper(sweep_interval)

    def __len__(self) -> int:
        """How many nonces are remembered (expired ones until the next sweep)."""
        return len(self._seen)

    async def advance(self, nonce: str, nc: int, expires: float, now: float) -> bool:
        if self._sweeper.due(now):
            self.sweep(now)
        if expires <= now:
            return False
        highest, _ = self._seen.get(nonce, (0, expires))
        if nc <= highest:
            return False
        self._seen[nonce] = (nc, expires)
        return True

    def sweep(self, now: float) -> int:
        """Forget the nonces expired at `now`; returns how many were dropped."""
        expired = [nonce for nonce, (_, expires) in self._seen.items() if expires <= now]
        for nonce in expired:
            del self._seen[nonce]
        return len(expired)


class SqliteNonceCounts:
    """A NonceCountStore in the embedded SQLite database, shared by the workers that open it.

    One atomic upsert per call: the row is inserted, or updated only when the new nc is greater
    (`ON CONFLICT ... DO UPDATE ... WHERE`); SQLite reports 0 changed rows otherwise, which is
    the replay. The connection belongs to the caller (`storage.sqlite.connect`), who closes it.
    """

    def __init__(
        self, conn: sqlite3.Connection, sweep_interval: float = DEFAULT_SWEEP_INTERVAL
    ) -> None:
        migrate(conn, "nonce_counts", MIGRATIONS)
        self._conn = conn
        self._sweeper = _Sweeper(sweep_interval)

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    async def advance(self, nonce: str, nc: int, expires: float, now: float) -> bool:
        return self.advance_now(nonce, nc, expires, now)

    def advance_now(self, nonce: str, nc: int, expires: float, now: float) -> bool:
        """`advance`, synchronously: inside a transaction of the caller's it joins that
        transaction (`SqliteLocationStore.update_after` commits it with the bindings)."""
        if self._sweeper.due(now):
            self.sweep(now)
        if expires <= now:
            return False
        cursor = self._conn.execute(
            "INSERT INTO nonce_counts (nonce, nc, expires) VALUES (?, ?, ?)"
            " ON CONFLICT (nonce) DO UPDATE SET nc = excluded.nc"
            " WHERE excluded.nc > nonce_counts.nc",
            (nonce, nc, expires),
        )
        return cursor.rowcount == 1

    def sweep(self, now: float) -> int:
        """Delete the rows expired at `now`; returns how many were deleted."""
        return self._conn.execute("DELETE FROM nonce_counts WHERE expires <= ?", (now,)).rowcount
