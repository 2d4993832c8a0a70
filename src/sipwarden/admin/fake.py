"""`FakeBackend`: an in-memory `AdminBackend` for tests and for trying the dashboard.

It keeps plain lists, publishes `ban` and `unban` events on its bus like the shield does, and
records every command in `calls_made` so a test can assert what the API asked for.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sipwarden import __version__
from sipwarden.admin.backend import BackendError, Json
from sipwarden.observe.events import Event, EventBus
from sipwarden.observe.rates import RateHistory


@dataclass
class FakeBackend:
    """Every list is public so a test can arrange the state it needs."""

    clock: Callable[[], float] = time.time
    bus: EventBus = field(default_factory=EventBus)
    registered: list[Json] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)
    banned: dict[str, Json] = field(default_factory=dict)
    active_calls: list[Json] = field(default_factory=list)
    active_transactions: list[Json] = field(default_factory=list)
    gateway_health: list[Json] = field(default_factory=list)
    cluster_nodes: list[Json] = field(default_factory=list)
    history: RateHistory = field(default_factory=RateHistory)
    reload_result: Json = field(default_factory=lambda: {"ok": True, "message": "reloaded"})
    calls_made: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)

    async def status(self) -> Json:
        self.calls_made.append(("status", ()))
        now = self.clock()
        return {
            "version": __version__,
            "started_at": self.started_at,
            "uptime": max(0.0, now - self.started_at),
            "listeners": ["udp:127.0.0.1:5060"],
            "domains": ["example.com"],
            "registrations": len(self.registered),
            "calls": len(self.active_calls),
            "transactions": len(self.active_transactions),
            "bans": len(self.banned),
            "transport_drops": {"udp:127.0.0.1:5060": {}},
        }

    async def registrations(self, search: str, limit: int) -> list[Json]:
        self.calls_made.append(("registrations", (search, limit)))
        found = [r for r in self.registered if search in r["aor"] or search in r["contact"]]
        return found[:limit]

    async def remove_registration(self, aor: str, contact: str | None) -> int:
        self.calls_made.append(("remove_registration", (aor, contact)))
        keep = [
            r
            for r in self.registered
            if r["aor"] != aor or (contact is not None and r["contact"] != contact)
        ]
        removed = len(self.registered) - len(keep)
        if not removed:
            raise BackendError(404, f"no binding for {aor}")
        self.registered[:] = keep
        return removed

    async def users(self) -> list[Json]:
        return [{"address": address} for address in sorted(self.accounts)]

    async def add_user(self, address: str, password: str) -> None:
        self.calls_made.append(("add_user", (address,)))
        if "@" not in address or not password:
            raise BackendError(400, "expected user@domain and a password")
        if address in self.accounts:
            raise BackendError(409, f"{address} exists")
        self.accounts[address] = password

    async def remove_user(self, address: str) -> None:
        self.calls_made.append(("remove_user", (address,)))
        if self.accounts.pop(address, None) is None:
            raise BackendError(404, f"no account {address}")

    async def bans(self) -> list[Json]:
        return sorted(self.banned.values(), key=lambda ban: str(ban["ip"]))

    async def add_ban(self, ip: str, seconds: float | None, reason: str) -> Json:
        self.calls_made.append(("add_ban", (ip, seconds, reason)))
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise BackendError(400, f"not an IP address: {ip!r}") from None
        now = self.clock()
        until = None if seconds is None else now + seconds
        ban = {"ip": ip, "since": now, "until": until, "reason": reason, "offences": 1}
        self.banned[ip] = {**ban, "by": "admin"}
        self.bus.publish(Event(now, "ban", reason, ip, detail={"until": until, "by": "admin"}))
        return self.banned[ip]

    async def lift_ban(self, ip: str) -> None:
        self.calls_made.append(("lift_ban", (ip,)))
        if self.banned.pop(ip, None) is None:
            raise BackendError(404, f"{ip} is not banned")
        self.bus.publish(Event(self.clock(), "unban", "lifted", ip, detail={"by": "admin"}))

    async def calls(self) -> list[Json]:
        return list(self.active_calls)

    async def transactions(self) -> list[Json]:
        return list(self.active_transactions)

    async def gateways(self) -> list[Json]:
        return list(self.gateway_health)

    async def nodes(self) -> list[Json]:
        return sorted(self.cluster_nodes, key=lambda node: str(node["name"]))

    async def reload(self) -> Json:
        self.calls_made.append(("reload", ()))
        return dict(self.reload_result)

    async def rates(self) -> Json:
        return self.history.snapshot()
