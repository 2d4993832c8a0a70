"""Fixtures for the store tests against the real Redis and PostgreSQL of this machine and CI.

Each test gets its own event loop, a unique Redis key prefix (deleted afterwards) and its own
PostgreSQL schema (dropped afterwards). A test is skipped, saying why, only when the service
does not answer; set SIPWARDEN_TEST_REDIS / SIPWARDEN_TEST_POSTGRES to use other servers.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import asyncpg
import pytest
import redis
from redis.asyncio import Redis

from sipwarden.storage.postgres import Database
from sipwarden.storage.redis_client import connect_redis

T = TypeVar("T")
REDIS_URL = os.environ.get("SIPWARDEN_TEST_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get(
    "SIPWARDEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


class Loop:
    """One event loop for a test: stores and clients are bound to the loop they start on."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Awaitable[T], timeout: float = 20.0) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))


@pytest.fixture
def loop() -> Iterator[Loop]:
    made = Loop()
    yield made
    made.loop.run_until_complete(made.loop.shutdown_asyncgens())
    made.loop.close()


def _redis_problem() -> str | None:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as client:
            client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    problem = _redis_problem()
    if problem:
        pytest.skip(problem)
    return REDIS_URL


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    made = f"sipwarden-test:{uuid.uuid4().hex}:"
    yield made
    with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=f"{made}*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def client(loop: Loop, redis_url: str) -> Iterator[Redis]:
    made = connect_redis(redis_url)
    yield made
    loop.run(made.aclose())


@pytest.fixture
def other_client(loop: Loop, redis_url: str) -> Iterator[Redis]:
    """A second client: another node on the same Redis."""
    made = connect_redis(redis_url)
    yield made
    loop.run(made.aclose())


async def _postgres_problem() -> str | None:
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}"
    await conn.close()
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    probe = asyncio.new_event_loop()
    try:
        problem = probe.run_until_complete(_postgres_problem())
    finally:
        probe.close()
    if problem:
        pytest.skip(problem)
    return POSTGRES_URL


@pytest.fixture
def schema(loop: Loop, postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema of this test alone, dropped afterwards."""
    name = f"sipwarden_test_{uuid.uuid4().hex[:16]}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(postgres_url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    loop.run(execute(f"CREATE SCHEMA {name}"))
    yield name
    loop.run(execute(f"DROP SCHEMA {name} CASCADE"))


@pytest.fixture
def database(loop: Loop, postgres_url: str, schema: str) -> Iterator[Database]:
    made = loop.run(Database.open(postgres_url, schema=schema))
    yield made
    loop.run(made.close())
