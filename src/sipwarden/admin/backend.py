"""`AdminBackend`: what the admin API needs from the running server (STYLE 11: snapshots).

The server implements it over its stores and cores; `FakeBackend` (admin/fake.py) is the test
double. Every method returns plain JSON-able values (dicts, lists, str, int, float, bool,
None), built from snapshots, never live core objects. A method that cannot do what is asked
raises `BackendError(status, message)`: 400 bad input, 404 no such thing, 409 already exists.
"""

from __future__ import annotations

from typing import Any, Protocol

from sipwarden.observe.events import EventBus

Json = dict[str, Any]


class BackendError(Exception):
    """A refused admin command; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AdminBackend(Protocol):
    """The server as the admin API sees it. Field names below are the JSON the API returns."""

    @property
    def bus(self) -> EventBus:
        """The event bus the server publishes to (the event stream reads it)."""
        ...

    async def status(self) -> Json:
        """{"version", "started_at", "uptime", "listeners": [str], "domains": [str],
        "registrations", "calls", "transactions", "bans": int counts,
        "transport_drops": {listener: {reason: count}}}"""
        ...

    async def registrations(self, search: str, limit: int) -> list[Json]:
        """Bindings whose AOR or contact contains `search` (all when empty), at most `limit`:
        [{"aor", "contact", "expires" (epoch s), "source", "transport", "user_agent"}]"""
        ...

    async def remove_registration(self, aor: str, contact: str | None) -> int:
        """Remove one binding (or every binding of `aor` when contact is None); the count
        removed. 404 when there was none."""
        ...

    async def users(self) -> list[Json]:
        """[{"address": "alice@example.com"}] (never a password or HA1)."""
        ...

    async def add_user(self, address: str, password: str) -> None:
        """400 bad address or password, 409 exists."""
        ...

    async def remove_user(self, address: str) -> None:
        """404 no such account."""
        ...

    async def bans(self) -> list[Json]:
        """[{"ip", "since", "until" (None: until lifted), "reason", "offences", "by"}]"""
        ...

    async def add_ban(self, ip: str, seconds: float | None, reason: str) -> Json:
        """Ban `ip` for `seconds` (None: until lifted); the ban as listed. 400 bad address."""
        ...

    async def lift_ban(self, ip: str) -> None:
        """404 when `ip` is not banned."""
        ...

    async def calls(self) -> list[Json]:
        """[{"call_id", "caller", "callee", "state", "started", "answered" (None), "source"}]"""
        ...

    async def transactions(self) -> list[Json]:
        """[{"id", "method", "role" (server|client), "state", "age" (s)}]"""
        ...

    async def gateways(self) -> list[Json]:
        """[{"name", "address", "up", "latency" (s or None), "since", "history":
        [{"at", "up", "latency"}]}]; empty while no gateway is configured."""
        ...

    async def reload(self) -> Json:
        """Reload the configuration: {"ok": bool, "message": str}."""
        ...

    async def rates(self) -> Json:
        """Per-second rates over the last hour: `RateHistory.snapshot()`."""
        ...

    async def nodes(self) -> list[Json]:
        """The cluster's nodes seen in the last minute, by name (storage/nodes.py): [{"name",
        "listeners": [str], "version", "started", "health": {check: "ok" or why not},
        "last_seen" (epoch s), "alive" (a heartbeat within the TTL)}]; one item when alone."""
        ...
