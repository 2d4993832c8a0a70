"""GET /api/events: Server-Sent Events carry what is published on the bus."""

from __future__ import annotations

import asyncio
import json

from aiohttp import ClientResponse

from sipwarden.observe.events import Event
from tests.integration.admin.helpers import admin_client
from tests.integration.conftest import run


async def _read_message(response: ClientResponse) -> dict[str, str]:
    """The next SSE message (comments and `retry:` skipped), as field -> value."""
    fields: dict[str, str] = {}
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if not line:
            if "data" in fields:
                return fields
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        fields[name] = value


def test_a_published_event_is_delivered() -> None:
    async def go() -> dict[str, str]:
        async with admin_client() as (client, backend):
            response = await client.get("/api/events")
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            while backend.bus.subscribers == 0:
                await asyncio.sleep(0.01)
            backend.bus.publish(
                Event(1.5, "ban", "flood.register", "198.51.100.7", detail={"until": 61.5})
            )
            message = await _read_message(response)
            response.close()
            return message

    message = run(go())
    assert message["event"] == "ban" and message["id"] == "1"
    assert json.loads(message["data"]) == {
        "at": 1.5,
        "kind": "ban",
        "reason": "flood.register",
        "source": "198.51.100.7",
        "account": "",
        "detail": {"until": 61.5},
    }


def test_backlog_comes_first() -> None:
    async def go() -> list[str]:
        async with admin_client() as (client, backend):
            for n in range(3):
                backend.bus.publish(Event(float(n), "drop", f"r{n}", "192.0.2.1"))
            response = await client.get("/api/events?backlog=2")
            reasons = [json.loads((await _read_message(response))["data"])["reason"]]
            reasons.append(json.loads((await _read_message(response))["data"])["reason"])
            response.close()
            return reasons

    assert run(go()) == ["r1", "r2"]


def test_keepalive_comments_and_unsubscribe_when_the_client_leaves() -> None:
    async def go() -> None:
        async with admin_client(keepalive=0.05) as (client, backend):
            response = await client.get("/api/events")
            assert await response.content.readline() == b"retry: 3000\n"
            await response.content.readline()
            assert await response.content.readline() == b": keepalive\n"
            response.close()
            async with asyncio.timeout(5):
                while backend.bus.subscribers:
                    await asyncio.sleep(0.02)

    run(go())


def test_server_shutdown_ends_open_streams() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            response = await client.get("/api/events")
            while backend.bus.subscribers == 0:
                await asyncio.sleep(0.01)
            await client.server.close()  # on_shutdown ends the stream; no hang
            assert backend.bus.subscribers == 0
            response.close()

    run(go())
