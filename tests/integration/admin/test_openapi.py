"""The OpenAPI description lists every route, by its area.verb name, and nothing else."""

from __future__ import annotations

import re

from sipwarden.admin.app import ROUTES
from sipwarden.admin.openapi import openapi
from tests.integration.admin.helpers import admin_client
from tests.integration.conftest import run

NAME = re.compile(r"^[a-z]+\.[a-z]+$")


def _described() -> set[tuple[str, str, str]]:
    spec = openapi()
    return {
        (method.upper(), path, operation["operationId"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }


def test_every_route_is_described_and_every_description_is_a_route() -> None:
    assert _described() == {(method, path, name) for name, method, path, _ in ROUTES}


def test_names_are_area_verb_and_unique() -> None:
    names = [name for name, _, _, _ in ROUTES]
    assert all(NAME.match(name) for name in names)
    assert len(set(names)) == len(names)


def test_served_description_matches_the_router() -> None:
    async def go() -> tuple[dict[str, object], set[tuple[str, str, str]]]:
        async with admin_client() as (client, _):
            spec = await (await client.get("/api/openapi.json")).json()
            app = client.app
            assert app is not None
            routed = {
                (route.method, route.resource.canonical, route.name)
                for route in app.router.routes()
                if route.name and route.resource is not None and "." in route.name
            }
            return spec, routed

    spec, routed = run(go())
    assert spec["openapi"] == "3.1.0"
    assert {(m, p, n) for m, p, n in routed if m != "HEAD"} == _described()
