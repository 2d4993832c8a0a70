"""Where digest credentials come from (STYLE 9: storage sits behind Protocols).

The authenticator is sans-IO: the adapter reads the user's record from a `CredentialStore`
(SQLite by default, PostgreSQL in a cluster, both possibly slow) and hands it in.
"""

from __future__ import annotations

from typing import Protocol


class UserRecord:
    """One SIP account: `user@domain`, HA1 per algorithm name (see hashes.ALGORITHMS).

    A value (equal by its fields, never changed once made); a plain slotted class because the
    store makes one per authenticated request and a frozen dataclass's `__init__` costs
    several times as much.
    """

    __slots__ = ("domain", "ha1", "user")

    def __init__(self, user: str, domain: str, ha1: dict[str, str] | None = None) -> None:
        self.user = user
        self.domain = domain
        self.ha1: dict[str, str] = {} if ha1 is None else ha1

    def __repr__(self) -> str:
        return f"UserRecord(user={self.user!r}, domain={self.domain!r}, ha1={self.ha1!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UserRecord):
            return NotImplemented
        return (self.user, self.domain, self.ha1) == (other.user, other.domain, other.ha1)

    def __hash__(self) -> int:
        return hash((self.user, self.domain))  # the HA1 dict is not hashable; equal records agree


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
