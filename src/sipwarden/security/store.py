"""Bans and locks that survive a restart, and admin changes made while the server runs.

How this works: the Shield is pure; it emits ban/unban/lock/unlock events and the server
persists them (`save`/`delete`, `save_lock`/`delete_lock`) and loads them at start
(`Shield.restore`). The CLI and the admin API change bans with `admin_ban`/`admin_lift`,
which also append to a change log; the running server polls `changes(after)` every few
seconds and applies each with `Shield.apply_change`, so a CLI ban takes effect within one
poll interval without racing the server's own writes. Changes older than a day are pruned.

The SQLite store runs its statements synchronously: on a local WAL file they take well under
a millisecond (like the other stores in the data directory).
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from sipwarden.security.events import Ban, BanChange, Lock
from sipwarden.storage.sqlite import migrate

COMPONENT = "bans"
CHANGE_MEMORY = 86400.0  # seconds a change stays in the log
MIGRATIONS = (
    """
    CREATE TABLE security_ban (
        ip TEXT PRIMARY KEY,
        since REAL NOT NULL,
        until REAL,
        reason TEXT NOT NULL,
        offences INTEGER NOT NULL,
        by TEXT NOT NULL
    );
    CREATE TABLE security_lock (
        account TEXT PRIMARY KEY,
        since REAL NOT NULL,
        until REAL,
        reason TEXT NOT NULL,
        by TEXT NOT NULL
    );
    CREATE TABLE security_ban_change (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        ip TEXT NOT NULL,
        since REAL,
        until REAL,
        reason TEXT,
        offences INTEGER,
        by TEXT NOT NULL
    )
    """,
)
_BAN = "ip, since, until, reason, offences, by"
_LOCK = "account, since, until, reason, by"
BanRow = tuple[str, float, float | None, str, int, str]
ChangeRow = tuple[int, float, str, float | None, float | None, str | None, int | None, str]


class BanStore(Protocol):
    """Where bans and locks are kept (times are wall-clock seconds)."""

    async def load(self) -> list[Ban]:
        """Every stored ban (expired ones included: `Shield.restore` skips them)."""
        ...

    async def save(self, ban: Ban) -> None:
        """Store `ban`, replacing any ban of the same address."""
        ...

    async def delete(self, ip: str) -> None: ...

    async def load_locks(self) -> list[Lock]: ...

    async def save_lock(self, lock: Lock) -> None: ...

    async def delete_lock(self, account: str) -> None: ...

    async def admin_ban(self, ban: Ban, now: float) -> None:
        """Save `ban` and log the change for the running server."""
        ...

    async def admin_lift(self, ip: str, by: str, now: float) -> bool:
        """Delete the ban of `ip` and log the change; False (nothing logged) when there was
        none."""
        ...

    async def changes(self, after: int) -> list[BanChange]:
        """The logged changes with `seq` > `after`, oldest first."""
        ...

    async def last_change(self) -> int:
        """The `seq` of the newest logged change (0: none); where a new server starts."""
        ...


def _ban(row: BanRow) -> Ban:
    return Ban(row[0], row[1], row[2], row[3], row[4], row[5])


def _change(row: ChangeRow) -> BanChange:
    seq, at, ip, since, until, reason, offences, by = row
    if since is None or reason is None:
        return BanChange(seq, at, ip, None, by)
    return BanChange(seq, at, ip, Ban(ip, since, until, reason, offences or 0, by), by)


class SqliteBanStore:
    """Bans and locks in the data directory's SQLite file; the caller owns `conn`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        migrate(conn, COMPONENT, MIGRATIONS)
        self._conn = conn

    async def load(self) -> list[Ban]:
        rows = self._conn.execute(f"SELECT {_BAN} FROM security_ban ORDER BY since, ip")
        return [_ban(row) for row in rows]

    async def save(self, ban: Ban) -> None:
        self._conn.execute(
            f"INSERT OR REPLACE INTO security_ban ({_BAN}) VALUES (?, ?, ?, ?, ?, ?)",
            (ban.ip, ban.since, ban.until, ban.reason, ban.offences, ban.by),
        )

    async def delete(self, ip: str) -> None:
        self._delete(ip)

    def _delete(self, ip: str) -> bool:
        return self._conn.execute("DELETE FROM security_ban WHERE ip = ?", (ip,)).rowcount > 0

    async def load_locks(self) -> list[Lock]:
        rows = self._conn.execute(f"SELECT {_LOCK} FROM security_lock ORDER BY since, account")
        return [Lock(*row) for row in rows]

    async def save_lock(self, lock: Lock) -> None:
        self._conn.execute(
            f"INSERT OR REPLACE INTO security_lock ({_LOCK}) VALUES (?, ?, ?, ?, ?)",
            (lock.account, lock.since, lock.until, lock.reason, lock.by),
        )

    async def delete_lock(self, account: str) -> None:
        self._conn.execute("DELETE FROM security_lock WHERE account = ?", (account,))

    async def admin_ban(self, ban: Ban, now: float) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            await self.save(ban)
            self._log(now, ban.ip, ban, ban.by)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    async def admin_lift(self, ip: str, by: str, now: float) -> bool:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            found = self._delete(ip)
            if found:
                self._log(now, ip, None, by)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return found

    def _log(self, now: float, ip: str, ban: Ban | None, by: str) -> None:
        self._conn.execute("DELETE FROM security_ban_change WHERE at < ?", (now - CHANGE_MEMORY,))
        values = (None, None, None, None) if ban is None else (
            ban.since, ban.until, ban.reason, ban.offences)  # fmt: skip
        self._conn.execute(
            "INSERT INTO security_ban_change (at, ip, since, until, reason, offences, by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now, ip, *values, by),
        )

    async def changes(self, after: int) -> list[BanChange]:
        rows = self._conn.execute(
            "SELECT seq, at, ip, since, until, reason, offences, by FROM security_ban_change"
            " WHERE seq > ? ORDER BY seq",
            (after,),
        )
        return [_change(row) for row in rows]

    async def last_change(self) -> int:
        row = self._conn.execute("SELECT MAX(seq) FROM security_ban_change").fetchone()
        return int(row[0] or 0)


class MemoryBanStore:
    """The BanStore in memory (tests, and a server run without a data directory)."""

    def __init__(self) -> None:
        self.bans: dict[str, Ban] = {}
        self.locks: dict[str, Lock] = {}
        self.log: list[BanChange] = []
        self._next = 1

    async def load(self) -> list[Ban]:
        return sorted(self.bans.values(), key=lambda ban: (ban.since, ban.ip))

    async def save(self, ban: Ban) -> None:
        self.bans[ban.ip] = ban

    async def delete(self, ip: str) -> None:
        self.bans.pop(ip, None)

    async def load_locks(self) -> list[Lock]:
        return sorted(self.locks.values(), key=lambda lock: (lock.since, lock.account))

    async def save_lock(self, lock: Lock) -> None:
        self.locks[lock.account] = lock

    async def delete_lock(self, account: str) -> None:
        self.locks.pop(account, None)

    async def admin_ban(self, ban: Ban, now: float) -> None:
        self.bans[ban.ip] = ban
        self._log(now, ban.ip, ban, ban.by)

    async def admin_lift(self, ip: str, by: str, now: float) -> bool:
        found = self.bans.pop(ip, None) is not None
        if found:
            self._log(now, ip, None, by)
        return found

    def _log(self, now: float, ip: str, ban: Ban | None, by: str) -> None:
        self.log = [c for c in self.log if c.at >= now - CHANGE_MEMORY]
        self.log.append(BanChange(self._next, now, ip, ban, by))
        self._next += 1

    async def changes(self, after: int) -> list[BanChange]:
        return [change for change in self.log if change.seq > after]

    async def last_change(self) -> int:
        return self._next - 1
