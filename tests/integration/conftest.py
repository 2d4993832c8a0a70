"""Shared fixtures for loopback tests: a running OPTIONS responder built on the adapters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
import redis

from sipwarden.sip import Request, build_response
from sipwarden.transport import Received, response_destination
from sipwarden.transport.inbound import Limits
from sipwarden.transport.listen import ListenSpec
from sipwarden.transport.loop import new_event_loop
from sipwarden.transport.udp import UdpTransport, start_udp
from tests.integration import services

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    """Run `coro` on a fresh (uvloop when installed) loop, bounded by `timeout` seconds."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(bounded())


@asynccontextmanager
async def udp_responder(host: str, limits: Limits | None = None) -> AsyncIterator[UdpTransport]:
    """A UDP listener on `host`, port 0, answering every request with 200 (RFC 3261 §8.2.6)."""
    holder: list[UdpTransport] = []

    def on_message(event: Received) -> None:
        if isinstance(event.message, Request):
            reply = build_response(event.message, 200)
            holder[0].send(reply.serialize(), response_destination(reply.top_via, None, False))

    transport = await start_udp(ListenSpec("udp", host, 0), on_message, limits or Limits())
    holder.append(transport)
    try:
        yield transport
    finally:
        transport.close()


@pytest.fixture(params=["127.0.0.1", "::1"], ids=["ipv4", "ipv6"])
def loopback(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis (services.py); the test is skipped, saying why, when it is down."""
    problem = services.redis_problem()
    if problem:
        pytest.skip(problem)
    return services.REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL (services.py); skipped, saying why, when it is down."""
    problem = asyncio.run(services.postgres())
    if problem:
        pytest.skip(problem)
    return services.POSTGRES_URL


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A Redis key prefix of this test alone; its keys are deleted afterwards."""
    made = f"sipwarden-test:{uuid.uuid4().hex}:"
    yield made
    with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=f"{made}*", count=1000))
        if keys:
            client.delete(*keys)
