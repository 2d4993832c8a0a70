"""Fixtures for the store tests against the real Redis and PostgreSQL of this machine and CI.

Each test gets its own event loop, a unique Redis key prefix (deleted afterwards) and its own
PostgreSQL schema (dropped afterwards). A test is skipped, saying why, only when the service
does not answer; set SIPWARDEN_TEST_REDIS / SIPWARDEN_TEST_POSTGRES to use other servers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import pytest
from redis.asyncio import Redis

from sipwarden.storage.postgres import Database
from sipwarden.storage.redis_client import connect_redis
from tests.integration import services

T = TypeVar("T")


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


@pytest.fixture
def schema(loop: Loop, postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema of this test alone, dropped afterwards."""
    name = f"sipwarden_test_{uuid.uuid4().hex[:16]}"

    loop.run(services.postgres(f"CREATE SCHEMA {name}", postgres_url))
    yield name
    loop.run(services.postgres(f"DROP SCHEMA {name} CASCADE", postgres_url))


@pytest.fixture
def database(loop: Loop, postgres_url: str, schema: str) -> Iterator[Database]:
    made = loop.run(Database.open(postgres_url, schema=schema))
    yield made
    loop.run(made.close())
