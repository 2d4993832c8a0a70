"""Accounts and call forwarding in PostgreSQL, shared by the nodes of a cluster.

The same tables, rules and errors as the SQLite stores (users/schema.py, users/forwarding.py):
HA1 per algorithm, never a password; the user part case-sensitive, the domain kept in lower
case; lists in byte order (COLLATE "C", as SQLite's BINARY). `user` is a reserved word in
PostgreSQL, hence the quotes. Every method is async (the UserDirectory and ForwardingDirectory
Protocols of users/directory.py) and raises StoreUnavailable when PostgreSQL is down.
"""

from __future__ import annotations

import builtins
import time
from dataclasses import fields

from sipwarden.auth.hashes import ha1_all
from sipwarden.auth.store import UserRecord
from sipwarden.storage.postgres import Database, Row, Session, migrate
from sipwarden.users.errors import UserError
from sipwarden.users.forwarding import (
    Clock,
    Forwarding,
    ForwardingEntry,
    _entry,
    _host,
    _not_to_self,
)
from sipwarden.users.schema import HA1_COLUMNS
from sipwarden.users.store import _domain, _hashes, _names, _record

USERS_MIGRATIONS = (
    """
    CREATE TABLE users (
        "user" TEXT NOT NULL,
        domain TEXT NOT NULL,
        ha1_md5 TEXT,
        ha1_sha256 TEXT,
        ha1_sha512_256 TEXT,
        enabled BOOLEAN NOT NULL DEFAULT TRUE,
        created BIGINT NOT NULL,
        updated BIGINT NOT NULL,
        PRIMARY KEY ("user", domain)
    );
    CREATE INDEX users_domain ON users (domain)
    """,
)
FORWARDING_MIGRATIONS = (
    """
    CREATE TABLE forwarding (
        "user" TEXT NOT NULL,
        domain TEXT NOT NULL,
        always TEXT,
        busy TEXT,
        no_answer TEXT,
        no_answer_after INTEGER NOT NULL DEFAULT 20,
        unregistered TEXT,
        updated BIGINT NOT NULL,
        PRIMARY KEY ("user", domain)
    )
    """,
)
_HA1 = ", ".join(HA1_COLUMNS.values())
_USERS = f'SELECT "user", domain, {_HA1} FROM users'
_ORDER = 'ORDER BY domain COLLATE "C", "user" COLLATE "C"'
_FORWARDING = (
    'SELECT "user", domain, always, busy, no_answer, no_answer_after, unregistered FROM forwarding'
)


def _count(status: str) -> int:
    """The row count of a status tag such as "DELETE 1"."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresUserStore:
    """Accounts `user@domain` in PostgreSQL (see UserDirectory); `open` migrates the schema."""

    def __init__(self, db: Database, *, clock: Clock = time.time) -> None:
        self._db = db
        self._clock = clock

    @classmethod
    async def open(cls, db: Database, *, clock: Clock = time.time) -> PostgresUserStore:
        await migrate(db, "users", USERS_MIGRATIONS)
        return cls(db, clock=clock)

    async def get_user(self, user: str, domain: str) -> UserRecord | None:
        """CredentialStore: the enabled account `user@domain`, or None."""
        return await self.find(user, domain)

    async def find(self, user: str, domain: str) -> UserRecord | None:
        row = await self._db.fetchrow(
            f'{_USERS} WHERE "user" = $1 AND domain = $2 AND enabled', user, domain.lower()
        )
        return _record(row) if row else None

    async def exists(self, user: str, domain: str) -> bool:
        row = await self._db.fetchrow(
            'SELECT 1 FROM users WHERE "user" = $1 AND domain = $2', user, domain.lower()
        )
        return row is not None

    async def add(self, user: str, domain: str, password: str) -> UserRecord:
        user, domain = _names(user, domain)
        now = int(self._clock())
        marks = ", ".join(f"${n}" for n in range(3, 3 + len(HA1_COLUMNS)))
        status = await self._db.execute(
            f'INSERT INTO users ("user", domain, {_HA1}, created, updated)'
            f" VALUES ($1, $2, {marks}, $6, $6) ON CONFLICT DO NOTHING",
            user,
            domain,
            *_hashes(user, domain, password),
            now,
        )
        if _count(status) == 0:
            raise UserError(f"{user}@{domain} already exists")
        return UserRecord(user, domain, ha1_all(user, domain, password))

    async def set_password(self, user: str, domain: str, password: str) -> None:
        user, domain = _names(user, domain)
        assignments = ", ".join(f"{c} = ${n}" for n, c in enumerate(HA1_COLUMNS.values(), 1))
        status = await self._db.execute(
            f'UPDATE users SET {assignments}, updated = $4 WHERE "user" = $5 AND domain = $6',
            *_hashes(user, domain, password),
            int(self._clock()),
            user,
            domain,
        )
        if _count(status) == 0:
            raise UserError(f"{user}@{domain} does not exist")

    async def remove(self, user: str, domain: str) -> None:
        async with self._db.session() as session:
            await remove_user(session, user, domain)

    async def list(self, domain: str | None = None) -> builtins.list[UserRecord]:
        if domain is None:
            rows = await self._db.fetch(f"{_USERS} {_ORDER}")
        else:
            rows = await self._db.fetch(f"{_USERS} WHERE domain = $1 {_ORDER}", _domain(domain))
        return [_record(row) for row in rows]


async def remove_user(session: Session, user: str, domain: str) -> None:
    """Delete `user@domain` on `session` (inside the caller's transaction, if any)."""
    user, domain = _names(user, domain)
    status = await session.execute(
        'DELETE FROM users WHERE "user" = $1 AND domain = $2', user, domain
    )
    if _count(status) == 0:
        raise UserError(f"{user}@{domain} does not exist")


class PostgresForwardingStore:
    """Call forwarding in PostgreSQL (see ForwardingDirectory); `open` migrates the schema."""

    def __init__(self, db: Database, *, clock: Clock = time.time) -> None:
        self._db = db
        self._clock = clock

    @classmethod
    async def open(cls, db: Database, *, clock: Clock = time.time) -> PostgresForwardingStore:
        await migrate(db, "forwarding", FORWARDING_MIGRATIONS)
        return cls(db, clock=clock)

    async def get(self, user: str, domain: str) -> Forwarding | None:
        row = await self._db.fetchrow(
            f'{_FORWARDING} WHERE "user" = $1 AND domain = $2', user, _host(domain)
        )
        return _forwarding_entry(row).forwarding if row else None

    async def set(self, user: str, domain: str, forwarding: Forwarding) -> Forwarding:
        user, domain = _names(user, domain)
        stored = forwarding.expand(domain)
        _not_to_self(user, domain, stored)
        if stored.empty:
            await self.clear(user, domain)
            return stored
        values = [getattr(stored, f.name) for f in fields(stored)]
        await self._db.execute(
            'INSERT INTO forwarding ("user", domain, always, busy, no_answer, no_answer_after,'
            " unregistered, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ' ON CONFLICT ("user", domain) DO UPDATE SET always = excluded.always,'
            " busy = excluded.busy, no_answer = excluded.no_answer,"
            " no_answer_after = excluded.no_answer_after,"
            " unregistered = excluded.unregistered, updated = excluded.updated",
            user,
            domain,
            *values,
            int(self._clock()),
        )
        return stored

    async def clear(self, user: str, domain: str) -> bool:
        async with self._db.session() as session:
            return await clear_forwarding(session, user, domain)

    async def list(self, domain: str | None = None) -> builtins.list[ForwardingEntry]:
        if domain is None:
            rows = await self._db.fetch(f"{_FORWARDING} {_ORDER}")
        else:
            rows = await self._db.fetch(f"{_FORWARDING} WHERE domain = $1 {_ORDER}", _host(domain))
        return [_forwarding_entry(row) for row in rows]


async def clear_forwarding(session: Session, user: str, domain: str) -> bool:
    """Remove the forwarding of `user@domain` on `session`; whether there was one."""
    status = await session.execute(
        'DELETE FROM forwarding WHERE "user" = $1 AND domain = $2', user, _host(domain)
    )
    return _count(status) > 0


def _forwarding_entry(row: Row) -> ForwardingEntry:
    return _entry(row)
