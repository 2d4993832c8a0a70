"""The shared failure counters on the real Redis: the contract of tests/unit/storage/
test_counters.py, two clients (two nodes) adding to one count, concurrent adds never lost,
keys that expire by themselves, and StoreUnavailable when Redis is gone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import pytest
import redis

from sipwarden.storage.counters import RedisFailureCounter
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.redis_client import connect_redis
from sipwarden.storage.urls import open_state
from tests.integration.server.process import free_port

T = TypeVar("T")
T0 = 1_700_000_000.0


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    made = asyncio.new_event_loop()
    yield made
    made.run_until_complete(made.shutdown_asyncgens())
    made.close()


def run(loop: asyncio.AbstractEventLoop, coro: Awaitable[T]) -> T:
    return loop.run_until_complete(asyncio.wait_for(coro, 20))


def test_counts_within_the_window_per_key(
    loop: asyncio.AbstractEventLoop, redis_url: str, prefix: str
) -> None:
    async def scenario() -> list[int]:
        client = connect_redis(redis_url)
        try:
            counter = RedisFailureCounter(client, prefix)
            counts = [await counter.add("ip:192.0.2.7", T0 + i, 60) for i in range(3)]
            counts.append(await counter.add("ip:192.0.2.8", T0 + 3, 60))
            counts.append(await counter.add("ip:192.0.2.7", T0 + 3, 60))  # same instant twice
            counts.append(await counter.add("ip:192.0.2.7", T0 + 3, 60))
            counts.append(await counter.add("ip:192.0.2.7", T0 + 61, 60))  # T0, T0+1 left
            counts.append(await counter.add("ip:192.0.2.7", T0 + 200, 60))
            return counts
        finally:
            await client.aclose()

    assert run(loop, scenario()) == [1, 2, 3, 1, 4, 5, 4, 1]


def test_two_nodes_add_to_one_count_without_losing_any(
    loop: asyncio.AbstractEventLoop, redis_url: str, prefix: str
) -> None:
    async def scenario() -> tuple[int, int]:
        one, two = connect_redis(redis_url), connect_redis(redis_url)
        try:
            a, b = RedisFailureCounter(one, prefix), RedisFailureCounter(two, prefix)
            adds = [c.add("account:alice@example.com", T0, 300) for c in [a, b] * 50]
            counts = await asyncio.gather(*adds)
            return max(counts), len(set(counts))
        finally:
            await one.aclose()
            await two.aclose()

    assert run(loop, scenario()) == (100, 100)  # every add saw a distinct count: atomic


def test_a_key_expires_one_window_after_its_last_failure(
    loop: asyncio.AbstractEventLoop, redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        client = connect_redis(redis_url)
        try:
            await RedisFailureCounter(client, prefix).add("ip:192.0.2.9", T0, 30)
        finally:
            await client.aclose()

    run(loop, scenario())
    with redis.Redis.from_url(redis_url) as sync:
        ttl = sync.ttl(f"{prefix}fail:ip:192.0.2.9")
    assert 0 < int(ttl) <= 30  # type: ignore[arg-type]


def test_the_redis_state_has_redis_counters(
    loop: asyncio.AbstractEventLoop, redis_url: str, prefix: str, tmp_path: object
) -> None:
    async def scenario() -> int:
        state = await open_state(redis_url, data_dir=str(tmp_path), prefix=prefix)
        try:
            assert isinstance(state.counters, RedisFailureCounter)
            return await state.counters.add("k", T0, 60)
        finally:
            await state.close()

    assert run(loop, scenario()) == 1


def test_unreachable_redis_is_store_unavailable(loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> None:
        client = connect_redis(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5, retries=1)
        try:
            with pytest.raises(StoreUnavailable) as raised:
                await RedisFailureCounter(client, "p:").add("k", T0, 60)
            assert raised.value.backend == "redis" and raised.value.retry_after > 0
        finally:
            await client.aclose()

    run(loop, scenario())
