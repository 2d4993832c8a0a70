"""The running server as the admin API sees it (`sipwarden.admin.backend.AdminBackend`).

Every answer is a snapshot in plain JSON values built from the stores and cores; nothing live
leaves this module (STYLE 11). Admin changes go through the same paths as everything else:
a ban through the shield (and so to the ban store and the event bus), a user through the user
store, a reload through the server's SIGHUP path.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sipwarden import __version__
from sipwarden.admin.backend import BackendError, Json
from sipwarden.config.names import split_address
from sipwarden.errors import LocalError
from sipwarden.observe.events import EventBus
from sipwarden.observe.rates import RateHistory
from sipwarden.routing import Health
from sipwarden.security.events import Ban
from sipwarden.server.flows import parse_address
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.transaction import ClientTransaction
from sipwarden.users.errors import UserError

if TYPE_CHECKING:
    from sipwarden.server.app import Server


@dataclass
class ServerBackend:
    """AdminBackend over a running `Server`."""

    server: Server
    history: RateHistory
    event_bus: EventBus
    wallclock: Callable[[], float] = time.time
    started_at: float = field(default_factory=time.time)

    @property
    def bus(self) -> EventBus:
        return self.event_bus

    async def nodes(self) -> list[Json]:
        """The cluster's nodes from the state store's heartbeats (docs/cluster.md)."""
        return [node.to_json() for node in await self.server.state.nodes.nodes(self.wallclock())]

    async def status(self) -> Json:
        server = self.server
        now = self.wallclock()
        return {
            "version": __version__,
            "started_at": self.started_at,
            "uptime": now - self.started_at,
            "listeners": [str(a) for a in server.listeners()],
            "domains": list(server.config.server.domains),
            "registrations": await self._registrations(now),
            "calls": len(self._calls()),
            "transactions": len(server.dispatcher.table),
            "bans": len(server.guard.shield.bans(now)),
            "transport_drops": server.transports.snapshot(),
            "stores": server.stores.snapshot() if server.stores is not None else {},
        }

    async def _registrations(self, now: float) -> int | None:
        """The binding count; None while the state store is down (status still answers)."""
        try:
            return await self.server.location.count(now)
        except StoreUnavailable:
            return None

    async def registrations(self, search: str, limit: int) -> list[Json]:
        now = self.wallclock()
        rows = []
        for binding in await self.server.location.all(now, limit=100_000):
            if search and search not in binding.aor and search not in binding.contact:
                continue
            source = parse_address(binding.source) if binding.source else None
            rows.append(
                {
                    "aor": binding.aor,
                    "contact": binding.contact,
                    "expires": binding.expires_at,
                    "source": binding.source,
                    "transport": source.transport if source else None,
                    "user_agent": binding.user_agent,
                }
            )
            if len(rows) >= limit:
                break
        return rows

    async def remove_registration(self, aor: str, contact: str | None) -> int:
        removed = await self.server.location.remove(aor, contact)
        if not removed:
            raise BackendError(404, f"no binding for {aor}")
        return removed

    async def users(self) -> list[Json]:
        return [{"address": f"{r.user}@{r.domain}"} for r in await self.server.users.list()]

    async def add_user(self, address: str, password: str) -> None:
        user, domain = self._address(address)
        if not password:
            raise BackendError(400, "the password must not be empty")
        if await self.server.users.exists(user, domain):
            raise BackendError(409, f"{address} already exists")
        try:
            await self.server.users.add(user, domain, password)
        except UserError as error:
            raise BackendError(400, str(error)) from None

    async def remove_user(self, address: str) -> None:
        user, domain = self._address(address)
        if not await self.server.users.exists(user, domain):
            raise BackendError(404, f"{address} does not exist")
        await self.server.storage.remove_account(user, domain)

    async def bans(self) -> list[Json]:
        return [_ban(b) for b in self.server.guard.shield.bans(self.wallclock())]

    async def add_ban(self, ip: str, seconds: float | None, reason: str) -> Json:
        try:
            address = str(ipaddress.ip_address(ip))
            ban = self.server.guard.shield.ban(
                address, seconds, reason or "admin", self.wallclock()
            )
        except (ValueError, LocalError) as error:
            raise BackendError(400, str(error)) from None
        self.server.guard.pump()
        return _ban(ban)

    async def lift_ban(self, ip: str) -> None:
        lifted = self.server.guard.shield.lift(ip, self.wallclock())
        if lifted is None:
            raise BackendError(404, f"{ip} is not banned")
        self.server.guard.pump()

    async def calls(self) -> list[Json]:
        return self._calls()

    def _calls(self) -> list[Json]:
        rows = []
        for transaction, session in self.server.proxy.sessions.items():
            request = transaction.request
            if request.method != "INVITE":
                continue
            last = transaction.last_response
            rows.append(
                {
                    "call_id": request.call_id,
                    "caller": str(request.from_.uri),
                    "callee": request.uri_text,
                    "state": "ringing" if last is None or last.status < 200 else "answered",
                    "started": None,
                    "answered": None,
                    "source": str(session.received.source),
                }
            )
        return rows

    async def transactions(self) -> list[Json]:
        return [
            {
                "id": str(t.key),
                "method": t.request.method,
                "role": "client" if isinstance(t, ClientTransaction) else "server",
                "state": t.state.name,
                "age": None,
            }
            for t in self.server.dispatcher.table
        ]

    async def gateways(self) -> list[Json]:
        proxy = self.server.proxy
        rows = []
        for name, group in proxy.routing.gateways.items():
            for destination in group.destinations:
                history = proxy.health.history(destination)
                rows.append(
                    {
                        "name": name,
                        "address": destination.uri,
                        "up": proxy.health.is_up(destination),
                        "latency": None,
                        "since": history[-1].at if history else None,
                        "history": [
                            {
                                "at": h.at,
                                "up": h.state is Health.UP,
                                "latency": None,
                                "text": str(h),
                            }
                            for h in history
                        ],
                    }
                )
        return rows

    async def reload(self) -> Json:
        ok = self.server.reload()
        message = "routing reloaded" if ok else "reload refused: see the log"
        return {"ok": ok, "message": message}

    async def rates(self) -> Json:
        return self.history.snapshot()

    @staticmethod
    def _address(address: str) -> tuple[str, str]:
        try:
            return split_address(address)
        except (ValueError, LocalError) as error:
            raise BackendError(400, str(error)) from None


def _ban(ban: Ban) -> dict[str, Any]:
    return {
        "ip": ban.ip,
        "since": ban.since,
        "until": ban.until,
        "reason": ban.reason,
        "offences": ban.offences,
        "by": ban.by,
    }
