"""The OpenAPI 3.1 description of the admin API, written by hand (`GET /api/openapi.json`).

Each operation's `operationId` is the route's `area.verb` name in admin/app.py `ROUTES`; a test
checks that both list the same (method, path, name) triples.
"""

from __future__ import annotations

from typing import Any

from sipwarden import __version__

Json = dict[str, Any]


def _query(name: str, description: str, schema: Json, required: bool = False) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def _path(name: str, description: str) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _op(
    name: str,
    summary: str,
    *,
    params: list[Json] | None = None,
    body: Json | None = None,
    ok: str = "200",
    content: str = "application/json",
    errors: tuple[str, ...] = (),
) -> Json:
    responses: Json = {ok: {"description": "OK", "content": {content: {}}}}
    for status in ("400", *errors):
        responses[status] = {"description": ERRORS[status], "content": {"application/json": {}}}
    op: Json = {"operationId": name, "summary": summary, "responses": responses}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _object(required: list[str], **properties: Json) -> Json:
    return {"type": "object", "required": required, "properties": properties}


ERRORS = {
    "400": 'Bad query or body: {"error": message}',
    "404": "No such item",
    "409": "Already exists",
}
STRING = {"type": "string"}
LIMIT = _query("limit", "At most this many items", {"type": "integer", "minimum": 1})


def openapi() -> Json:
    """The description as a dict, ready for JSON."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sipwarden admin API",
            "version": __version__,
            "description": "Operations are named area.verb (operationId). See docs/admin.md.",
        },
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            }
        },
        "security": [{}, {"token": []}, {"basic": []}],
        "paths": PATHS,
    }


PATHS: Json = {
    "/api/status": {"get": _op("status.get", "Version, uptime, listeners and counts")},
    "/api/registrations": {
        "get": _op(
            "registrations.list",
            "Registered contact bindings",
            params=[_query("search", "Substring of the AOR or contact", STRING), LIMIT],
        ),
        "delete": _op(
            "registrations.remove",
            "Remove a binding, or every binding of an AOR",
            params=[
                _query("aor", "Address of record, e.g. sip:alice@example.com", STRING, True),
                _query("contact", "Only this contact URI", STRING),
            ],
            errors=("404",),
        ),
    },
    "/api/users": {
        "get": _op("users.list", "SIP accounts"),
        "post": _op(
            "users.add",
            "Create an account",
            body=_object(["address", "password"], address=STRING, password=STRING),
            ok="201",
            errors=("409",),
        ),
    },
    "/api/users/{address}": {
        "delete": _op(
            "users.remove",
            "Delete an account",
            params=[_path("address", "user@domain")],
            errors=("404",),
        )
    },
    "/api/bans": {
        "get": _op("bans.list", "Current bans"),
        "post": _op(
            "bans.add",
            "Ban an address",
            body=_object(
                ["ip"],
                ip=STRING,
                seconds={"type": ["number", "null"], "exclusiveMinimum": 0},
                reason=STRING,
            ),
            ok="201",
        ),
    },
    "/api/bans/{ip}": {
        "delete": _op(
            "bans.lift", "Lift a ban", params=[_path("ip", "The banned address")], errors=("404",)
        )
    },
    "/api/calls": {"get": _op("calls.list", "Calls in progress")},
    "/api/transactions": {"get": _op("transactions.list", "SIP transactions in progress")},
    "/api/gateways": {"get": _op("gateways.list", "Gateway health and its history")},
    "/api/nodes": {"get": _op("nodes.list", "Cluster nodes: membership and health")},
    "/api/reload": {"post": _op("config.reload", "Reload the configuration file")},
    "/api/rates": {"get": _op("rates.get", "Request and response rates over the last hour")},
    "/api/events/recent": {
        "get": _op(
            "events.list",
            "Recent events, oldest first",
            params=[LIMIT, _query("kind", "Comma-separated kinds", STRING)],
        )
    },
    "/api/events": {
        "get": _op(
            "events.stream",
            "Live events as Server-Sent Events",
            params=[_query("backlog", "Recent events sent first", {"type": "integer"})],
            content="text/event-stream",
        )
    },
    "/api/offenders": {"get": _op("offenders.list", "Top offending sources", params=[LIMIT])},
    "/api/openapi.json": {"get": _op("api.describe", "This description")},
    "/metrics": {
        "get": _op("metrics.scrape", "Prometheus metrics", content="text/plain; version=0.0.4")
    },
}
