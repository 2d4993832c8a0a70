"""The proxy's reads for a call to a local user (account, bindings, forwarding), remembered
while the SQLite database they come from has not changed.

How this works: a call to a local user reads three stores (RFC 3261 §16.5: whether the account
exists, the location service's bindings of its AoR, its forwarding settings). When all three
are the embedded SQLite stores, `CalleeReads` keeps what it read and `refresh()`, called once
per request before its reads, forgets everything as soon as the database may have changed:

- `PRAGMA data_version` on a connection changes whenever another connection committed to its
  file: another worker process, the `users` or `bans` CLI, or this process's other connection
  to the same file (the state stores and the storage share one file by default);
- `Connection.total_changes` counts the rows that connection itself inserted, updated or
  deleted (the registrar's bindings, the admin API's accounts), which `data_version` does not
  show.

The stamp is one pragma per database file (one in the default layout) instead of three
queries. The SQLite stores are synchronous behind their `async` methods, so a request's
refresh and reads run in one step of the event loop: nothing can commit in between. Bindings
are kept whole (expired ones too, `SqliteLocationStore.stored`) and filtered by `now` at each
read, which is exactly what `lookup(aor, now)` selects. With any other backend (Redis,
PostgreSQL, the in-memory stores of tests) nothing is kept: every read goes to the store, as
before, because there is no cheap way to learn that another node changed it.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Protocol, TypeVar

from sipwarden.location.binding import Binding
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.location.store import LocationStore
from sipwarden.users.directory import AsyncSqliteForwarding, AsyncSqliteUsers
from sipwarden.users.forwarding import Forwarding, SqliteForwardingStore
from sipwarden.users.store import SqliteUserStore

if TYPE_CHECKING:
    from sipwarden.auth.store import CredentialStore

K = TypeVar("K")
V = TypeVar("V")
MAX_ENTRIES = 10_000  # per kind; past it everything is forgotten (a bound, not an LRU)


class ForwardingReader(Protocol):
    async def get(self, user: str, domain: str) -> Forwarding | None: ...


class CalleeReads:
    """`users.get_user(...) is not None`, `location.lookup` and `forwarding.get`, cached for
    SQLite stores (see the module docstring); call `refresh()` before a request's reads."""

    def __init__(
        self, users: CredentialStore, location: LocationStore, forwarding: ForwardingReader
    ) -> None:
        self.users = users
        self.location = location
        self.forwarding = forwarding
        sqlite = _sqlite_stores(users, location, forwarding)
        self._location: SqliteLocationStore | None = None
        self._watched: tuple[sqlite3.Connection, ...] = ()
        if sqlite is not None:
            self._location, connections = sqlite
            self._watched = _one_per_file(connections)
        self._stamp: tuple[int, ...] | None = None
        self._known: dict[tuple[str, str], bool] = {}
        self._bindings: dict[str, list[Binding]] = {}
        self._forwardings: dict[tuple[str, str], Forwarding | None] = {}

    @property
    def caching(self) -> bool:
        return self._location is not None

    def refresh(self) -> None:
        """Forget what was read if the database may have changed since it was read."""
        if self._location is None:
            return
        stamp = _stamp(self._watched)
        if stamp != self._stamp:
            self._stamp = stamp
            self._known.clear()
            self._bindings.clear()
            self._forwardings.clear()

    async def user_exists(self, user: str, domain: str) -> bool:
        """Whether `users.get_user(user, domain)` finds an (enabled) account."""
        key = (user, domain)
        known = self._known.get(key)
        if known is None:
            known = await self.users.get_user(user, domain) is not None
            if self._location is not None:
                _bounded(self._known)[key] = known
        return known

    async def lookup(self, aor: str, now: float) -> list[Binding]:
        """`location.lookup(aor, now)`."""
        store = self._location
        if store is None:
            return await self.location.lookup(aor, now)
        stored = self._bindings.get(aor)
        if stored is None:
            stored = _bounded(self._bindings)[aor] = store.stored(aor)
        return [binding for binding in stored if binding.expires_at > now]

    async def forwarding_of(self, user: str, domain: str) -> Forwarding | None:
        """`forwarding.get(user, domain)`."""
        key = (user, domain)
        if self._location is not None and key in self._forwardings:
            return self._forwardings[key]
        found = await self.forwarding.get(user, domain)
        if self._location is not None:
            _bounded(self._forwardings)[key] = found
        return found


def _sqlite_stores(
    users: object, location: object, forwarding: object
) -> tuple[SqliteLocationStore, list[sqlite3.Connection]] | None:
    """The location store and the three connections, when all three stores are SQLite's."""
    if isinstance(users, AsyncSqliteUsers):
        users = users.store
    if isinstance(forwarding, AsyncSqliteForwarding):
        forwarding = forwarding.store
    if not (
        isinstance(users, SqliteUserStore)
        and isinstance(forwarding, SqliteForwardingStore)
        and isinstance(location, SqliteLocationStore)
    ):
        return None
    return location, [users.connection, forwarding.connection, location.connection]


def _one_per_file(connections: list[sqlite3.Connection]) -> tuple[sqlite3.Connection, ...]:
    """One connection per database file: its `data_version` shows the commits of every other
    connection to the file, and its `total_changes` its own (see `_stamp`)."""
    chosen: dict[str, sqlite3.Connection] = {}
    for connection in connections:
        if connection in chosen.values():
            continue
        name = _file_of(connection)
        if name not in chosen or not name:  # "": a temporary or in-memory database
            chosen[name or str(id(connection))] = connection
    return tuple(chosen.values())


def _file_of(connection: sqlite3.Connection) -> str:
    for _, schema, path in connection.execute("PRAGMA database_list").fetchall():
        if schema == "main":
            return str(path)
    return ""


def _stamp(connections: tuple[sqlite3.Connection, ...]) -> tuple[int, ...]:
    """Changes whenever a row of the watched files may have changed: commits by any other
    connection (`data_version`) and changes by the watched connections themselves."""
    stamp: list[int] = []
    for connection in connections:
        stamp.append(connection.execute("PRAGMA data_version").fetchone()[0])
        stamp.append(connection.total_changes)
    return tuple(stamp)


def _bounded(cache: dict[K, V]) -> dict[K, V]:
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    return cache
