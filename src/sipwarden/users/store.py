"""Accounts in the embedded SQLite database: the CredentialStore the authenticator reads.

Reads are a primary-key lookup on a local WAL database (microseconds, never blocked by the one
writer), so `get_user` runs them directly instead of hopping to a thread. The admin methods are
synchronous: the CLI and the admin API call them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from sipwarden.auth.hashes import ha1_all
from sipwarden.auth.store import UserRecord
from sipwarden.config.names import check_domain, check_user
from sipwarden.storage.sqlite import connect, database_path, migrate
from sipwarden.users.errors import UserError
from sipwarden.users.schema import COMPONENT, HA1_COLUMNS, MIGRATIONS, SELECT

Clock = Callable[[], float]

_FIND = f"{SELECT} WHERE user = ? AND domain = ? AND enabled"  # per call: built once


class SqliteUserStore:
    """Accounts `user@domain` with their HA1 per algorithm (realm = domain)."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Clock = time.time) -> None:
        """Use `conn` (not closed by `close`) after bringing the table up to date."""
        migrate(conn, COMPONENT, MIGRATIONS)
        self._conn = conn
        self._clock = clock
        self._owned = False

    @classmethod
    def open(cls, data_dir: str | Path, *, clock: Clock = time.time) -> SqliteUserStore:
        """A store on its own connection to the database in `data_dir`; `close` closes it."""
        conn = connect(database_path(data_dir))
        try:
            store = cls(conn, clock=clock)
        except BaseException:
            conn.close()
            raise
        store._owned = True
        return store

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def close(self) -> None:
        """Close the connection if `open` made it."""
        if self._owned:
            self._conn.close()

    def __enter__(self) -> SqliteUserStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def get_user(self, user: str, domain: str) -> UserRecord | None:
        """CredentialStore: the enabled account `user@domain`, or None."""
        return self.find(user, domain)

    def find(self, user: str, domain: str) -> UserRecord | None:
        """The enabled account `user@domain` (domain case-insensitive), or None."""
        row = self._conn.execute(_FIND, (user, domain)).fetchone()
        return _record(row) if row else None

    def exists(self, user: str, domain: str) -> bool:
        """Whether the account `user@domain` exists, enabled or not."""
        row = self._conn.execute(
            "SELECT 1 FROM users WHERE user = ? AND domain = ?", (user, domain)
        ).fetchone()
        return row is not None

    def add(self, user: str, domain: str, password: str) -> UserRecord:
        """Create `user@domain`; UserError if it exists or a name is invalid."""
        user, domain = _names(user, domain)
        now = int(self._clock())
        columns = ", ".join(HA1_COLUMNS.values())
        try:
            self._conn.execute(
                f"INSERT INTO users (user, domain, {columns}, created, updated)"
                f" VALUES (?, ?, {', '.join('?' * len(HA1_COLUMNS))}, ?, ?)",
                (user, domain, *_hashes(user, domain, password), now, now),
            )
        except sqlite3.IntegrityError:
            raise UserError(f"{user}@{domain} already exists") from None
        return UserRecord(user, domain, ha1_all(user, domain, password))

    def set_password(self, user: str, domain: str, password: str) -> None:
        """Replace the HA1s of `user@domain`; UserError if it does not exist."""
        user, domain = _names(user, domain)
        assignments = ", ".join(f"{column} = ?" for column in HA1_COLUMNS.values())
        cursor = self._conn.execute(
            f"UPDATE users SET {assignments}, updated = ? WHERE user = ? AND domain = ?",
            (*_hashes(user, domain, password), int(self._clock()), user, domain),
        )
        if cursor.rowcount == 0:
            raise UserError(f"{user}@{domain} does not exist")

    def remove(self, user: str, domain: str) -> None:
        """Delete `user@domain`; UserError if it does not exist."""
        user, domain = _names(user, domain)
        cursor = self._conn.execute(
            "DELETE FROM users WHERE user = ? AND domain = ?", (user, domain)
        )
        if cursor.rowcount == 0:
            raise UserError(f"{user}@{domain} does not exist")

    def list(self, domain: str | None = None) -> list[UserRecord]:
        """Every account (or those of `domain`), sorted by domain then user."""
        if domain is None:
            rows = self._conn.execute(f"{SELECT} ORDER BY domain, user")
        else:
            query = f"{SELECT} WHERE domain = ? ORDER BY user"
            rows = self._conn.execute(query, (_domain(domain),))
        return [_record(row) for row in rows.fetchall()]


def _names(user: str, domain: str) -> tuple[str, str]:
    try:
        return check_user(user), check_domain(domain)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _domain(domain: str) -> str:
    try:
        return check_domain(domain)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _hashes(user: str, domain: str, password: str) -> list[str]:
    if not password:
        raise UserError("the password is empty")
    hashes = ha1_all(user, domain, password)
    return [hashes[algorithm] for algorithm in HA1_COLUMNS]


def _record(row: tuple[str | None, ...]) -> UserRecord:
    user, domain, *hashes = row
    ha1 = {name: value for name, value in zip(HA1_COLUMNS, hashes) if value is not None}
    return UserRecord(str(user), str(domain), ha1)
