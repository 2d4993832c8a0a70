"""The admin `web.Application`: JSON routes under /api, the event stream, /metrics, the dashboard.

How this works: `ROUTES` is the table of (name `area.verb`, method, path, handler); the
OpenAPI description (admin/openapi.py) names the same routes and a test keeps them in step.
Handlers only translate HTTP to `AdminBackend` calls and back: query and body checks give 400,
a `BackendError` gives its status, every answer is JSON (`{"error": ...}` on failure). The
auth middleware (admin/auth.py) guards /api and /metrics; the static dashboard is open.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from sipwarden.admin import events_stream
from sipwarden.admin.auth import AuthPolicy
from sipwarden.admin.backend import AdminBackend, BackendError
from sipwarden.admin.openapi import openapi
from sipwarden.observe.events import KINDS, EventBus
from sipwarden.observe.metrics import Metrics

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 64 * 1024
MAX_LIMIT = 10000
STATIC = Path(str(resources.files("sipwarden.admin") / "static"))
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True, slots=True)
class Deps:
    """What the handlers use, kept on the application."""

    backend: AdminBackend
    bus: EventBus
    metrics: Metrics
    keepalive: float


DEPS = web.AppKey("deps", Deps)


class BadRequest(Exception):
    """A query or body value is wrong: 400 with this message."""


def _deps(request: web.Request) -> Deps:
    return request.app[DEPS]


def _ok(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)


def _items(items: list[Any]) -> web.Response:
    return _ok({"items": items, "count": len(items)})


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name}: expected an integer from {low} to {high}, got {raw!r}")
    return int(raw)


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BadRequest("expected Content-Type: application/json")
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    return body


def _string(body: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = body.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise BadRequest(f"{key}: expected a non-empty string")
    return value


# -- handlers -----------------------------------------------------------------------------


async def status_get(request: web.Request) -> web.StreamResponse:
    return _ok(await _deps(request).backend.status())


async def registrations_list(request: web.Request) -> web.StreamResponse:
    search = request.query.get("search", "")
    limit = _int_query(request, "limit", 100, 1, MAX_LIMIT)
    return _items(await _deps(request).backend.registrations(search, limit))


async def registrations_remove(request: web.Request) -> web.StreamResponse:
    aor = request.query.get("aor", "")
    if not aor:
        raise BadRequest("aor: expected the address of record, e.g. sip:alice@example.com")
    contact = request.query.get("contact") or None
    removed = await _deps(request).backend.remove_registration(aor, contact)
    return _ok({"removed": removed})


async def users_list(request: web.Request) -> web.StreamResponse:
    return _items(await _deps(request).backend.users())


async def users_add(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    address, password = _string(body, "address"), _string(body, "password")
    await _deps(request).backend.add_user(address, password)
    return _ok({"address": address}, status=201)


async def users_remove(request: web.Request) -> web.StreamResponse:
    await _deps(request).backend.remove_user(request.match_info["address"])
    return _ok({"removed": request.match_info["address"]})


async def bans_list(request: web.Request) -> web.StreamResponse:
    return _items(await _deps(request).backend.bans())


async def bans_add(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    ip = _string(body, "ip")
    reason = _string(body, "reason", required=False) or "admin"
    seconds = body.get("seconds")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0
    ):
        raise BadRequest("seconds: expected a number > 0, or null for a ban until lifted")
    ban = await _deps(request).backend.add_ban(ip, seconds, reason)
    return _ok(ban, status=201)


async def bans_lift(request: web.Request) -> web.StreamResponse:
    await _deps(request).backend.lift_ban(request.match_info["ip"])
    return _ok({"lifted": request.match_info["ip"]})


async def calls_list(request: web.Request) -> web.StreamResponse:
    return _items(await _deps(request).backend.calls())


async def transactions_list(request: web.Request) -> web.StreamResponse:
    return _items(await _deps(request).backend.transactions())


async def gateways_list(request: web.Request) -> web.StreamResponse:
    return _items(await _deps(request).backend.gateways())


async def nodes_list(request: web.Request) -> web.StreamResponse:
    return _items(await _deps(request).backend.nodes())


async def config_reload(request: web.Request) -> web.StreamResponse:
    return _ok(await _deps(request).backend.reload())


async def rates_get(request: web.Request) -> web.StreamResponse:
    return _ok(await _deps(request).backend.rates())


async def events_list(request: web.Request) -> web.StreamResponse:
    limit = _int_query(request, "limit", 100, 1, MAX_LIMIT)
    kinds = frozenset(k for k in request.query.get("kind", "").split(",") if k)
    if kinds - set(KINDS):
        raise BadRequest(f"kind: expected some of {', '.join(KINDS)}")
    events = _deps(request).bus.recent(limit, kinds or None)
    return _items([event.to_json() for event in events])


async def events_stream_handler(request: web.Request) -> web.StreamResponse:
    backlog = _int_query(request, "backlog", 0, 0, 1000)
    deps = _deps(request)
    return await events_stream.stream(request, deps.bus, backlog, deps.keepalive)


async def offenders_list(request: web.Request) -> web.StreamResponse:
    limit = _int_query(request, "limit", 10, 1, 1000)
    top = _deps(request).bus.top_offenders(limit)
    return _items([{"source": source, "events": count} for source, count in top])


async def api_describe(request: web.Request) -> web.StreamResponse:
    return _ok(openapi())


async def metrics_scrape(request: web.Request) -> web.StreamResponse:
    body = _deps(request).metrics.exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    return response


async def dashboard(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html")


ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("status.get", "GET", "/api/status", status_get),
    ("registrations.list", "GET", "/api/registrations", registrations_list),
    ("registrations.remove", "DELETE", "/api/registrations", registrations_remove),
    ("users.list", "GET", "/api/users", users_list),
    ("users.add", "POST", "/api/users", users_add),
    ("users.remove", "DELETE", "/api/users/{address}", users_remove),
    ("bans.list", "GET", "/api/bans", bans_list),
    ("bans.add", "POST", "/api/bans", bans_add),
    ("bans.lift", "DELETE", "/api/bans/{ip}", bans_lift),
    ("calls.list", "GET", "/api/calls", calls_list),
    ("transactions.list", "GET", "/api/transactions", transactions_list),
    ("gateways.list", "GET", "/api/gateways", gateways_list),
    ("nodes.list", "GET", "/api/nodes", nodes_list),
    ("config.reload", "POST", "/api/reload", config_reload),
    ("rates.get", "GET", "/api/rates", rates_get),
    ("events.list", "GET", "/api/events/recent", events_list),
    ("events.stream", "GET", "/api/events", events_stream_handler),
    ("offenders.list", "GET", "/api/offenders", offenders_list),
    ("api.describe", "GET", "/api/openapi.json", api_describe),
    ("metrics.scrape", "GET", "/metrics", metrics_scrape),
)


def _guarded(path: str) -> bool:
    return path.startswith("/api/") or path == "/metrics"


def _auth_middleware(policy: AuthPolicy) -> Any:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _guarded(request.path):
            refused = policy.check(
                request.method,
                request.host,
                request.headers.get("Origin"),
                request.headers.get("Authorization", ""),
            )
            if refused == "unauthorized":
                headers = {"WWW-Authenticate": policy.challenge()}
                return web.json_response({"error": refused}, status=401, headers=headers)
            if refused is not None:
                return web.json_response({"error": refused}, status=403)
        return await handler(request)

    return auth


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequest as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except BackendError as exc:
        return web.json_response({"error": exc.message}, status=exc.status)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("Cache-Control", "no-store")


def make_app(
    backend: AdminBackend,
    bus: EventBus,
    metrics: Metrics,
    policy: AuthPolicy | None = None,
    *,
    keepalive: float = 15.0,
) -> web.Application:
    """The admin application; `policy` None: loopback only, no credentials."""
    app = web.Application(
        middlewares=[_auth_middleware(policy or AuthPolicy()), _errors],
        client_max_size=MAX_BODY,
    )
    app[DEPS] = Deps(backend, bus, metrics, keepalive)
    for name, method, path, handler in ROUTES:
        app.router.add_route(method, path, handler, name=name)
    app.router.add_get("/", dashboard, name="dashboard")
    app.router.add_static("/static/", STATIC, name="static")
    app.on_response_prepare.append(_security_headers)
    events_stream.install(app)
    return app
