"""PostgreSQL for the durable data of a cluster (users, forwarding): a typed asyncpg adapter.

How this works: asyncpg has no type hints, so everything outside this module goes through
`Database` (a connection pool) and `Session` (one acquired connection), whose methods return
plain tuples. Connection failures become `StoreUnavailable`: getting a connection is retried
with exponential backoff (the pool opens new connections as needed, so a node recovers by
itself when PostgreSQL is back); a statement that fails mid-way is not retried, since it may
have been applied, and the caller sees StoreUnavailable instead of a silent loss.

Schema migrations are versioned like the SQLite ones (`storage.sqlite.migrate`): a
`schema_version` table, one row per component, each migration run in one transaction with its
version bump, under an advisory lock so nodes starting together migrate once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from sipwarden.storage.errors import StoreUnavailable

CONNECT_TIMEOUT = 5.0  # seconds to open a connection
COMMAND_TIMEOUT = 5.0  # seconds per statement
ACQUIRE_TRIES = 4  # tries to get a connection: backoff 0.1, 0.2, 0.4 s between them
MIGRATION_LOCK = 0x5157_0A2D  # pg_advisory_xact_lock key of sipwarden's migrations
Row = tuple[Any, ...]
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.OperatorInterventionError,  # 57P01 admin shutdown, 57P03 cannot connect now, ...
    # What a connection the server ended (a restart, pg_terminate_backend) may raise while its
    # protocol state is torn; the connection is dropped, the next one is fresh.
    asyncpg.InternalClientError,
)


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable("postgresql", str(exc) or type(exc).__name__)


class Session:
    """One connection of the pool: statements, optionally inside `transaction()`."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: object) -> str:
        """Run `sql`; the status tag ("UPDATE 1", "DELETE 0", ...)."""
        try:
            return str(await self._conn.execute(sql, *args))
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        try:
            records = await self._conn.fetch(sql, *args)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc
        return [tuple(record) for record in records]

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        try:
            async with self._conn.transaction():
                yield self
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc


class Database:
    """A pool of connections to one database (and optionally one schema)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        schema: str | None = None,
        name: str = "sipwarden",
        min_size: int = 1,
        max_size: int = 10,
    ) -> Database:
        """A pool on `url` (`postgresql://user@host:port/db`); StoreUnavailable if the server
        does not answer. `schema` sets the search_path (a test's own schema); `name` is the
        application_name the sessions show in pg_stat_activity."""
        settings = {"application_name": name}
        if schema:
            settings["search_path"] = schema
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT,
                command_timeout=COMMAND_TIMEOUT,
                server_settings=settings,
            )
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc
        return cls(pool)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """A connection for a few statements; retried with backoff while none can be had."""
        conn = await self._acquire()
        try:
            yield Session(conn)
        except StoreUnavailable:
            # Never hand a broken connection to the next caller. When the server ended the
            # session, asyncpg may already have detached the connection from its pool proxy,
            # and terminating it then raises InterfaceError: it is gone either way, and the
            # caller must still see StoreUnavailable (seen in tests/integration/stores/
            # test_faults.py under load).
            with contextlib.suppress(asyncpg.InterfaceError):
                conn.terminate()
            raise
        finally:
            await self._pool.release(conn)

    async def _acquire(self) -> Any:
        delay = 0.1
        for attempt in range(ACQUIRE_TRIES):
            try:
                return await self._pool.acquire(timeout=CONNECT_TIMEOUT)
            except _UNAVAILABLE as exc:
                if attempt == ACQUIRE_TRIES - 1:
                    raise _unavailable(exc) from exc
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    async def execute(self, sql: str, *args: object) -> str:
        async with self.session() as session:
            return await session.execute(sql, *args)

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        async with self.session() as session:
            return await session.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        async with self.session() as session:
            return await session.fetchrow(sql, *args)

    async def close(self) -> None:
        """Close every connection (bounded: terminate what does not close in time)."""
        try:
            await asyncio.wait_for(self._pool.close(), CONNECT_TIMEOUT)
        except TimeoutError:
            self._pool.terminate()


async def migrate(db: Database, component: str, migrations: Sequence[str]) -> int:
    """Apply `migrations[v:]` for `component` (v: its recorded version); the new version."""
    async with db.session() as session, session.transaction():
        await session.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await session.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        row = await session.fetchrow(
            "SELECT version FROM schema_version WHERE component = $1", component
        )
        version = int(row[0]) if row else 0
        for number, script in enumerate(migrations[version:], start=version + 1):
            await session.execute(script)
            await session.execute(
                "INSERT INTO schema_version (component, version) VALUES ($1, $2)"
                " ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                component,
                number,
            )
    return max(version, len(migrations))
