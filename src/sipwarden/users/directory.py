"""The async account and forwarding API that every storage backend offers (docs/cluster.md).

`SqliteUserStore` and `SqliteForwardingStore` keep their synchronous admin methods (a local
file); PostgreSQL needs I/O for each, so callers that must work on both (the `users` CLI, the
admin API) use these Protocols, and the SQLite stores are wrapped by `AsyncSqliteUsers` and
`AsyncSqliteForwarding`, which only add `async` around the same calls.
"""

from __future__ import annotations

import builtins
from typing import Protocol

from sipwarden.auth.store import UserRecord
from sipwarden.users.forwarding import Forwarding, ForwardingEntry, SqliteForwardingStore
from sipwarden.users.store import SqliteUserStore


class UserDirectory(Protocol):
    """Accounts: the CredentialStore read plus the admin operations, all async."""

    async def get_user(self, user: str, domain: str) -> UserRecord | None: ...

    async def find(self, user: str, domain: str) -> UserRecord | None:
        """The enabled account `user@domain` (domain case-insensitive), or None."""
        ...

    async def exists(self, user: str, domain: str) -> bool:
        """Whether `user@domain` exists, enabled or not."""
        ...

    async def add(self, user: str, domain: str, password: str) -> UserRecord:
        """Create `user@domain`; UserError if it exists or a name is invalid."""
        ...

    async def set_password(self, user: str, domain: str, password: str) -> None:
        """Replace the HA1s of `user@domain`; UserError if it does not exist."""
        ...

    async def remove(self, user: str, domain: str) -> None:
        """Delete `user@domain`; UserError if it does not exist."""
        ...

    async def list(self, domain: str | None = None) -> builtins.list[UserRecord]:
        """Every account (or those of `domain`), by domain then user (byte order)."""
        ...


class ForwardingDirectory(Protocol):
    """Per-user call forwarding (users/forwarding.py), all async."""

    async def get(self, user: str, domain: str) -> Forwarding | None: ...

    async def set(self, user: str, domain: str, forwarding: Forwarding) -> Forwarding: ...

    async def clear(self, user: str, domain: str) -> bool: ...

    async def list(self, domain: str | None = None) -> builtins.list[ForwardingEntry]: ...


class AsyncSqliteUsers:
    """A SqliteUserStore behind the async UserDirectory API."""

    def __init__(self, store: SqliteUserStore) -> None:
        self.store = store

    async def get_user(self, user: str, domain: str) -> UserRecord | None:
        return self.store.find(user, domain)

    async def find(self, user: str, domain: str) -> UserRecord | None:
        return self.store.find(user, domain)

    async def exists(self, user: str, domain: str) -> bool:
        return self.store.exists(user, domain)

    async def add(self, user: str, domain: str, password: str) -> UserRecord:
        return self.store.add(user, domain, password)

    async def set_password(self, user: str, domain: str, password: str) -> None:
        self.store.set_password(user, domain, password)

    async def remove(self, user: str, domain: str) -> None:
        self.store.remove(user, domain)

    async def list(self, domain: str | None = None) -> builtins.list[UserRecord]:
        return self.store.list(domain)


class AsyncSqliteForwarding:
    """A SqliteForwardingStore behind the async ForwardingDirectory API."""

    def __init__(self, store: SqliteForwardingStore) -> None:
        self.store = store

    async def get(self, user: str, domain: str) -> Forwarding | None:
        return self.store.find(user, domain)

    async def set(self, user: str, domain: str, forwarding: Forwarding) -> Forwarding:
        return self.store.set(user, domain, forwarding)

    async def clear(self, user: str, domain: str) -> bool:
        return self.store.clear(user, domain)

    async def list(self, domain: str | None = None) -> builtins.list[ForwardingEntry]:
        return self.store.list(domain)
