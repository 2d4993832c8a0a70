"""The stores of one node, opened together from their URLs (`storage.urls.open_state` and
`open_storage`) and closed together.

`State` is the fast-changing shared state (location service, nonce counts, bans, the cluster's
node heartbeats) on SQLite or Redis; `Storage` the durable data (accounts, forwarding) on
SQLite or PostgreSQL, behind the async `UserDirectory`/`ForwardingDirectory` API. Both are
plain holders: the server wires their members in as it wires the SQLite stores today.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sipwarden.auth.nonce_counts import NonceCountStore, SqliteNonceCounts
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.location.store import LocationStore
from sipwarden.security.store import BanStore, SqliteBanStore
from sipwarden.storage.counters import FailureCounter, MemoryFailureCounter, SqliteFailureCounter
from sipwarden.storage.nodes import NodeRegistry, SqliteNodeRegistry
from sipwarden.storage.sqlite import connect
from sipwarden.storage.urls import StoreUrl
from sipwarden.users.directory import (
    AsyncSqliteForwarding,
    AsyncSqliteUsers,
    ForwardingDirectory,
    UserDirectory,
)
from sipwarden.users.forwarding import SqliteForwardingStore
from sipwarden.users.store import SqliteUserStore

Closer = Callable[[], Awaitable[None]]
RemoveAccount = Callable[[str, str], Awaitable[None]]


@dataclass(eq=False)
class State:
    """The shared state stores of a node; `where` is the URL without its password."""

    kind: str
    where: str
    location: LocationStore
    nonce_counts: NonceCountStore
    bans: BanStore
    nodes: NodeRegistry
    _ping: Closer
    _close: Closer
    counters: FailureCounter = field(default_factory=MemoryFailureCounter)  # brute force

    async def ping(self) -> None:
        """StoreUnavailable unless the backend answers now (health probe)."""
        await self._ping()

    async def close(self) -> None:
        await self._close()


@dataclass(eq=False)
class Storage:
    """The account and forwarding stores of a node; `where` without the password."""

    kind: str
    where: str
    users: UserDirectory
    forwarding: ForwardingDirectory
    _remove_account: RemoveAccount
    _ping: Closer
    _close: Closer

    async def remove_account(self, user: str, domain: str) -> None:
        """Delete `user@domain` and its forwarding in one transaction; UserError if the
        account does not exist (then nothing changes)."""
        await self._remove_account(user, domain)

    async def ping(self) -> None:
        await self._ping()

    async def close(self) -> None:
        await self._close()


async def _nothing() -> None:
    return None


def open_sqlite_state(checked: StoreUrl, path: Path) -> State:
    """The SQLite stores on one connection to `path` (what the server opens today)."""
    conn = connect(path)
    try:
        location = SqliteLocationStore(conn)
        nonce_counts = SqliteNonceCounts(conn)
        bans = SqliteBanStore(conn)
        nodes = SqliteNodeRegistry(conn)
        counters = SqliteFailureCounter(conn)
    except BaseException:
        conn.close()
        raise

    async def close() -> None:
        await location.close()
        conn.close()

    state = State("sqlite", str(path), location, nonce_counts, bans, nodes, _nothing, close)
    state.counters = counters
    return state


async def open_redis_state(checked: StoreUrl, prefix: str) -> State:
    """The Redis stores on one client; StoreUnavailable (client closed) if Redis is down."""
    from sipwarden.storage.counters import RedisFailureCounter
    from sipwarden.storage.redis_bans import RedisBanStore
    from sipwarden.storage.redis_client import connect_redis, ping
    from sipwarden.storage.redis_location import RedisLocationStore
    from sipwarden.storage.redis_nodes import RedisNodeRegistry
    from sipwarden.storage.redis_nonce_counts import RedisNonceCounts

    client = connect_redis(checked.url)
    try:
        await ping(client)
    except BaseException:
        await client.aclose()
        raise

    async def probe() -> None:
        await ping(client)

    return State(
        "redis",
        checked.redacted(),
        RedisLocationStore(client, prefix),
        RedisNonceCounts(client, prefix),
        RedisBanStore(client, prefix),
        RedisNodeRegistry(client, prefix),
        probe,
        client.aclose,
        RedisFailureCounter(client, prefix),
    )


def open_sqlite_storage(checked: StoreUrl, path: Path) -> Storage:
    """The SQLite account and forwarding stores on one connection to `path`."""
    conn = connect(path)
    try:
        users = SqliteUserStore(conn)
        forwarding = SqliteForwardingStore(conn)
    except BaseException:
        conn.close()
        raise

    async def remove_account(user: str, domain: str) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            forwarding.clear(user, domain)
            users.remove(user, domain)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    async def close() -> None:
        conn.close()

    directory, settings = AsyncSqliteUsers(users), AsyncSqliteForwarding(forwarding)
    return Storage("sqlite", str(path), directory, settings, remove_account, _nothing, close)


async def open_postgres_storage(checked: StoreUrl, schema: str | None = None) -> Storage:
    """The PostgreSQL stores on one pool, schema migrated; StoreUnavailable if it is down."""
    from sipwarden.storage.postgres import Database
    from sipwarden.users.postgres import (
        PostgresForwardingStore,
        PostgresUserStore,
        clear_forwarding,
        remove_user,
    )

    db = await Database.open(checked.url, schema=schema)
    try:
        users = await PostgresUserStore.open(db)
        forwarding = await PostgresForwardingStore.open(db)
    except BaseException:
        await db.close()
        raise

    async def remove_account(user: str, domain: str) -> None:
        async with db.session() as session, session.transaction():
            await clear_forwarding(session, user, domain)
            await remove_user(session, user, domain)

    async def probe() -> None:
        await db.execute("SELECT 1")

    where = checked.redacted()
    return Storage("postgresql", where, users, forwarding, remove_account, probe, db.close)
