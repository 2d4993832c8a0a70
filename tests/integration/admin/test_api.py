"""Every admin route against the FakeBackend, on a loopback test server."""

from __future__ import annotations

from typing import Any

from sipwarden.observe.events import Event
from sipwarden.observe.metrics import Metrics
from tests.integration.admin.helpers import REGISTRATION, admin_client
from tests.integration.conftest import run


def test_status() -> None:
    async def go() -> dict[str, Any]:
        async with admin_client() as (client, _):
            response = await client.get("/api/status")
            assert response.status == 200
            return dict(await response.json())

    status = run(go())
    assert status["registrations"] == 2 and status["calls"] == 1 and "version" in status


def test_registrations_list_search_and_limit() -> None:
    async def go() -> None:
        async with admin_client() as (client, _):
            everything = await (await client.get("/api/registrations")).json()
            assert everything["count"] == 2
            assert everything["items"][0] == REGISTRATION
            found = await (await client.get("/api/registrations?search=bob")).json()
            assert [r["aor"] for r in found["items"]] == ["sip:bob@example.com"]
            one = await (await client.get("/api/registrations?limit=1")).json()
            assert one["count"] == 1
            bad = await client.get("/api/registrations?limit=zero")
            assert bad.status == 400
            assert "limit" in (await bad.json())["error"]

    run(go())


def test_registrations_remove() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            params = {"aor": "sip:alice@example.com", "contact": "sip:alice@192.0.2.10:5060"}
            response = await client.delete("/api/registrations", params=params)
            assert response.status == 200
            assert await response.json() == {"removed": 1}
            assert [r["aor"] for r in backend.registered] == ["sip:bob@example.com"]
            again = await client.delete("/api/registrations", params=params)
            assert again.status == 404
            missing = await client.delete("/api/registrations")
            assert missing.status == 400

    run(go())


def test_users_list_add_remove() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            listed = await (await client.get("/api/users")).json()
            assert listed["items"] == [{"address": "alice@example.com"}]
            body = {"address": "carol@example.com", "password": "carol-secret"}
            added = await client.post("/api/users", json=body)
            assert added.status == 201
            assert backend.accounts["carol@example.com"] == "carol-secret"
            duplicate = await client.post("/api/users", json=body)
            assert duplicate.status == 409
            no_password = await client.post("/api/users", json={"address": "dave@example.com"})
            assert no_password.status == 400
            removed = await client.delete("/api/users/carol@example.com")
            assert removed.status == 200
            assert "carol@example.com" not in backend.accounts
            gone = await client.delete("/api/users/carol@example.com")
            assert gone.status == 404

    run(go())


def test_post_needs_a_json_body() -> None:
    async def go() -> None:
        async with admin_client() as (client, _):
            form = await client.post("/api/users", data="address=x&password=y")
            assert form.status == 400
            broken = await client.post(
                "/api/users", data="{", headers={"Content-Type": "application/json"}
            )
            assert broken.status == 400
            array = await client.post("/api/users", json=["x"])
            assert array.status == 400

    run(go())


def test_bans_add_list_lift() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            added = await client.post(
                "/api/bans", json={"ip": "198.51.100.7", "seconds": 600, "reason": "manual"}
            )
            assert added.status == 201
            ban = await added.json()
            assert ban["ip"] == "198.51.100.7" and ban["reason"] == "manual"
            forever = await client.post("/api/bans", json={"ip": "2001:db8::1"})
            assert (await forever.json())["until"] is None
            listed = await (await client.get("/api/bans")).json()
            assert [b["ip"] for b in listed["items"]] == ["198.51.100.7", "2001:db8::1"]
            lifted = await client.delete("/api/bans/2001:db8::1")
            assert lifted.status == 200
            assert list(backend.banned) == ["198.51.100.7"]
            assert (await client.delete("/api/bans/2001:db8::1")).status == 404
            bad_ip = await client.post("/api/bans", json={"ip": "not-an-ip"})
            assert bad_ip.status == 400
            bad_seconds = await client.post("/api/bans", json={"ip": "192.0.2.9", "seconds": -1})
            assert bad_seconds.status == 400
            assert [e.kind for e in backend.bus.recent()] == ["ban", "ban", "unban"]

    run(go())


def test_calls_transactions_gateways() -> None:
    async def go() -> None:
        async with admin_client() as (client, _):
            calls = await (await client.get("/api/calls")).json()
            assert calls["items"][0]["call_id"] == "a84b4c76e66710"
            transactions = await (await client.get("/api/transactions")).json()
            assert transactions["items"][0]["method"] == "INVITE"
            gateways = await (await client.get("/api/gateways")).json()
            assert gateways["items"][0]["name"] == "carrier"
            assert gateways["items"][0]["history"][0]["up"] is True

    run(go())


def test_nodes() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            response = await client.get("/api/nodes")
            assert response.status == 200
            listed = await response.json()
            assert listed["count"] == 2
            first, second = listed["items"]
            assert first == backend.cluster_nodes[0]
            assert (first["name"], first["alive"]) == ("pbx/udp:127.0.0.1:5060", True)
            assert second["health"]["storage"] == "unavailable: timed out"
            backend.cluster_nodes.clear()
            assert await (await client.get("/api/nodes")).json() == {"items": [], "count": 0}

    run(go())


def test_reload() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            backend.reload_result = {"ok": False, "message": "sipwarden.toml:3: bad"}
            response = await client.post("/api/reload")
            assert response.status == 200
            assert await response.json() == {"ok": False, "message": "sipwarden.toml:3: bad"}
            assert ("reload", ()) in backend.calls_made

    run(go())


def test_rates() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            backend.history.sample(0.0, {"requests": {"INVITE": 0.0}, "responses": {}})
            backend.history.sample(10.0, {"requests": {"INVITE": 20.0}, "responses": {}})
            rates = await (await client.get("/api/rates")).json()
            assert rates["requests"] == {"INVITE": [2.0]}
            assert rates["step"] == 10.0

    run(go())


def test_events_recent_and_offenders() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            for n in range(3):
                backend.bus.publish(Event(float(n), "auth_failure", "wrong", "203.0.113.9"))
            backend.bus.publish(Event(9.0, "register", "", "192.0.2.10", "alice@example.com"))
            recent = await (await client.get("/api/events/recent?limit=2")).json()
            assert [e["at"] for e in recent["items"]] == [2.0, 9.0]
            only = await (await client.get("/api/events/recent?kind=register")).json()
            assert [e["kind"] for e in only["items"]] == ["register"]
            bad = await client.get("/api/events/recent?kind=nonsense")
            assert bad.status == 400
            top = await (await client.get("/api/offenders")).json()
            assert top["items"] == [{"source": "203.0.113.9", "events": 3}]

    run(go())


def test_metrics_text() -> None:
    metrics = Metrics()
    metrics.request("REGISTER", "udp")

    async def go() -> str:
        async with admin_client(metrics=metrics) as (client, _):
            response = await client.get("/metrics")
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            return await response.text()

    text = run(go())
    assert 'sipwarden_requests_total{method="REGISTER",transport="udp"} 1.0' in text


def test_dashboard_and_static_files() -> None:
    async def go() -> None:
        async with admin_client() as (client, _):
            page = await client.get("/")
            assert page.status == 200
            assert "<title>sipwarden</title>" in await page.text()
            assert "default-src 'self'" in page.headers["Content-Security-Policy"]
            for name, kind in (("app.js", "javascript"), ("style.css", "css")):
                response = await client.get(f"/static/{name}")
                assert response.status == 200
                assert kind in response.headers["Content-Type"]
            assert (await client.get("/static/../app.py")).status in (403, 404)

    run(go())


def test_unknown_route_is_404() -> None:
    async def go() -> int:
        async with admin_client() as (client, _):
            return (await client.get("/api/nothing")).status

    assert run(go()) == 404
