"""A FakeBackend-backed admin app on a loopback test server, and a few sample records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from sipwarden.admin.app import make_app
from sipwarden.admin.auth import AuthPolicy
from sipwarden.admin.fake import FakeBackend
from sipwarden.observe.metrics import Metrics

REGISTRATION = {
    "aor": "sip:alice@example.com",
    "contact": "sip:alice@192.0.2.10:5060",
    "expires": 4102444800.0,
    "source": "192.0.2.10:5060",
    "transport": "udp",
    "user_agent": "Linphone/5.2",
}


def fake_backend() -> FakeBackend:
    backend = FakeBackend()
    backend.registered.append(dict(REGISTRATION))
    backend.registered.append(
        {**REGISTRATION, "aor": "sip:bob@example.com", "contact": "sip:bob@192.0.2.11"}
    )
    backend.accounts["alice@example.com"] = "alice-secret"
    backend.active_calls.append(
        {
            "call_id": "a84b4c76e66710",
            "caller": "sip:alice@example.com",
            "callee": "sip:bob@example.com",
            "state": "confirmed",
            "started": 1700000000.0,
            "answered": 1700000002.0,
            "source": "192.0.2.10:5060",
        }
    )
    backend.active_transactions.append(
        {"id": "z9hG4bK776asdhds", "method": "INVITE", "role": "server", "state": "PROCEEDING"}
    )
    backend.gateway_health.append(
        {
            "name": "carrier",
            "address": "sip:gw.example.net",
            "up": True,
            "latency": 0.031,
            "since": 1700000000.0,
            "history": [{"at": 1700000000.0, "up": True, "latency": 0.031}],
        }
    )
    for port, alive, health in ((5060, True, "ok"), (5070, False, "unavailable: timed out")):
        backend.cluster_nodes.append(
            {
                "name": f"pbx/udp:127.0.0.1:{port}",
                "listeners": [f"udp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port}"],
                "version": "1.0.0",
                "started": 1700000000.0,
                "health": {"state": "ok", "storage": health},
                "last_seen": 1700000100.0,
                "alive": alive,
            }
        )
    return backend


@asynccontextmanager
async def admin_client(
    backend: FakeBackend | None = None,
    policy: AuthPolicy | None = None,
    metrics: Metrics | None = None,
    keepalive: float = 15.0,
) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], FakeBackend]]:
    """A test client of the admin app on 127.0.0.1, port 0, closed on exit."""
    backend = backend or fake_backend()
    app = make_app(backend, backend.bus, metrics or Metrics(), policy, keepalive=keepalive)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield client, backend
