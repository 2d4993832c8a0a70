"""The embedded LocationStore: bindings in the SQLite file of the data directory.

How this works: one row per binding in `location_binding`, keyed by (aor, contact), with an
index on `expires_at` for the expiry sweep. The database is in WAL mode (`storage.sqlite.connect`)
so lookups read beside a writer and committed bindings survive a crash or restart. `update`
holds the write lock from its read to its write (`BEGIN IMMEDIATE`): two processes sharing the
file queue on the lock (busy timeout) instead of overwriting each other's set. The sqlite3 calls
are synchronous: on a local file they take well under a millisecond.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sipwarden.location.binding import DEFAULT_Q, Binding, check_binding_set, sorted_bindings
from sipwarden.storage.sqlite import connect, migrate

T = TypeVar("T")

MIGRATIONS = (
    """
    CREATE TABLE location_binding (
        aor TEXT NOT NULL,
        contact TEXT NOT NULL,
        expires_at REAL NOT NULL,
        q REAL,
        call_id TEXT NOT NULL,
        cseq INTEGER NOT NULL,
        path TEXT NOT NULL,
        source TEXT,
        instance TEXT,
        reg_id INTEGER,
        user_agent TEXT,
        registered_at REAL NOT NULL,
        PRIMARY KEY (aor, contact)
    );
    CREATE INDEX location_binding_expires ON location_binding (expires_at)
    """,
)
_COLUMNS = (
    "aor, contact, expires_at, q, call_id, cseq, path, source, instance, reg_id, user_agent,"
    " registered_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM location_binding"
# A lookup (per call): the order is `sorted_bindings`'s, cheaper in Python than ORDER BY's sort.
_CURRENT = f"{_SELECT} WHERE aor = ? AND expires_at > ?"
_ALL_OF = f"{_SELECT} WHERE aor = ?"
_INSERT = f"INSERT INTO location_binding ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# The row of `to_row` minus its key, then the key (aor, contact): a refresh rewrites one row in
# place instead of deleting and re-inserting it (and its two index entries).
_UPDATE = (
    "UPDATE location_binding SET expires_at = ?, q = ?, call_id = ?, cseq = ?, path = ?,"
    " source = ?, instance = ?, reg_id = ?, user_agent = ?, registered_at = ?"
    " WHERE aor = ? AND contact = ?"
)
_DELETE_ONE = "DELETE FROM location_binding WHERE aor = ? AND contact = ?"
# `binding.lookup_order` in SQL (DEFAULT_Q for a missing q); BINARY collation orders UTF-8 text
# as Python orders str.
_LOOKUP_ORDER = f"COALESCE(q, {DEFAULT_Q}) DESC, registered_at DESC, contact"
Row = tuple[str, str, float, float | None, str, int, str, str | None, str | None, int | None,
            str | None, float]  # fmt: skip


def to_row(b: Binding) -> Row:
    """The column values of `b`; Path values are kept as a JSON array."""
    path = json.dumps(list(b.path)) if b.path else "[]"  # most bindings have no Path
    return (b.aor, b.contact, b.expires_at, b.q, b.call_id, b.cseq, path, b.source, b.instance,
            b.reg_id, b.user_agent, b.registered_at)  # fmt: skip


def from_row(row: Row) -> Binding:
    aor, contact, expires_at, q, call_id, cseq, path, source, instance, reg_id, agent, since = row
    paths = () if path == "[]" else tuple(json.loads(path))
    return Binding(aor, contact, expires_at, q, call_id, cseq, paths, source,
                   instance, reg_id, agent, since)  # fmt: skip


class SqliteLocationStore:
    """Bindings in SQLite (see `LocationStore` for the contract).

    `SqliteLocationStore(conn)` uses a connection the caller owns (and closes); `open(path)`
    opens its own, which `close()` closes. Either way the schema is migrated on construction.
    """

    def __init__(self, conn: sqlite3.Connection, *, owns_connection: bool = False) -> None:
        migrate(conn, "location", MIGRATIONS)
        self._conn = conn
        self._owns = owns_connection

    @classmethod
    def open(cls, path: str | Path) -> SqliteLocationStore:
        """A store on the database file `path` (created when missing), in WAL mode."""
        conn = connect(path)
        try:
            return cls(conn, owns_connection=True)
        except BaseException:
            conn.close()
            raise

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    async def lookup(self, aor: str, now: float) -> list[Binding]:
        return self._current(aor, now)

    def stored(self, aor: str) -> list[Binding]:
        """Every stored binding of `aor`, expired ones too, in lookup order: `lookup(aor, now)`
        is this list without the bindings `expired(now)` (the proxy's cache keeps it,
        users/reads.py)."""
        return sorted_bindings(from_row(row) for row in self._conn.execute(_ALL_OF, (aor,)))

    async def update(
        self,
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> T:
        with self._transaction():
            return self._update(aor, change, now)

    def update_after(
        self,
        first: Callable[[], bool],
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> tuple[bool, T | None]:
        """`first()` (a write on this store's connection), then `update` when it returns True,
        in one transaction: one commit for both. (False, None) when `first` says no.

        The registration path uses it for the nonce-count of the REGISTER's credentials
        (`SqliteNonceCounts.advance_now`) and its bindings. Synchronous, so nothing else can
        run on the connection in between; if either raises, neither is written.
        """
        with self._transaction():
            if not first():
                return False, None
            return True, self._update(aor, change, now)

    async def expire(self, now: float) -> list[Binding]:
        with self._transaction():
            rows = self._conn.execute(
                f"{_SELECT} WHERE expires_at <= ? ORDER BY expires_at, aor, contact", (now,)
            ).fetchall()
            self._conn.execute("DELETE FROM location_binding WHERE expires_at <= ?", (now,))
        return [from_row(row) for row in rows]

    async def next_expiry(self) -> float | None:
        row = self._conn.execute("SELECT MIN(expires_at) FROM location_binding").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def all(self, now: float, limit: int = 1000, prefix: str = "") -> list[Binding]:
        rows = self._conn.execute(
            f"{_SELECT} WHERE expires_at > ? AND substr(aor, 1, ?) = ?"
            f" ORDER BY aor, {_LOOKUP_ORDER} LIMIT ?",
            (now, len(prefix), prefix, max(limit, 0)),
        ).fetchall()
        return [from_row(row) for row in rows]

    async def remove(self, aor: str, contact: str | None = None) -> int:
        with self._transaction():
            if contact is None:
                cursor = self._conn.execute("DELETE FROM location_binding WHERE aor = ?", (aor,))
            else:
                cursor = self._conn.execute(
                    "DELETE FROM location_binding WHERE aor = ? AND contact = ?", (aor, contact)
                )
        return cursor.rowcount

    async def count(self, now: float) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM location_binding WHERE expires_at > ?", (now,)
        ).fetchone()
        return int(row[0])

    async def close(self) -> None:
        if self._owns:
            self._conn.close()

    def _current(self, aor: str, now: float) -> list[Binding]:
        rows = self._conn.execute(_CURRENT, (aor, now)).fetchall()
        bindings = [from_row(row) for row in rows]
        return sorted_bindings(bindings) if len(bindings) > 1 else bindings

    def _update(
        self,
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> T:
        """`update`'s work, inside the caller's transaction."""
        stored = [from_row(row) for row in self._conn.execute(_ALL_OF, (aor,))]
        current = sorted_bindings(b for b in stored if not b.expired(now))
        result, new = change(current)
        check_binding_set(aor, new)
        if new != current:
            self._replace(aor, stored, new)
        return result

    def _replace(self, aor: str, stored: list[Binding], new: list[Binding]) -> None:
        """Make `aor`'s rows `new`: the same as deleting every stored row (expired ones too)
        and inserting `new`, writing only the rows that differ."""
        old = {b.contact: b for b in stored}
        for binding in new:
            prior = old.pop(binding.contact, None)
            if prior is None:
                self._conn.execute(_INSERT, to_row(binding))
            elif prior != binding:
                row = to_row(binding)
                self._conn.execute(_UPDATE, row[2:] + row[:2])
        for contact in old:
            self._conn.execute(_DELETE_ONE, (aor, contact))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction, taking the write lock at once (no read-then-upgrade race)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
