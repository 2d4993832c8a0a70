"""Where digest credentials come from (STYLE 9: storage sits behind Protocols).

The authenticator is sans-IO: the adapter reads the user's record from a `CredentialStore`
(SQLite by default, PostgreSQL in a cluster, both possibly slow) and hands it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One SIP account: `user@domain`, HA1 per algorithm name (see hashes.ALGORITHMS)."""

    user: str
    domain: str
    ha1: dict[str, str] = field(default_factory=dict)


class CredentialStore(Protocol):
    """Read access to accounts, as the authenticator needs it."""

    async def get_user(self, user: str, domain: str) -> UserRecord | None:
        """The account `user@domain` (case-sensitive user, case-insensitive domain), or None."""
        ...


class MemoryCredentials:
    """A dict-backed CredentialStore for tests and embedding."""

    def __init__(self, records: list[UserRecord] | None = None) -> None:
        self._records = {(r.user, r.domain.lower()): r for r in records or []}

    def put(self, record: UserRecord) -> None:
        self._records[(record.user, record.domain.lower())] = record

    async def get_user(self, user: str, domain: str) -> UserRecord | None:
        return self._records.get((user, domain.lower()))
