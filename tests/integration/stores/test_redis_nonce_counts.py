"""Nonce counts on Redis: the contract of tests/unit/auth/test_nonce_counts.py, and a nonce
advanced on one node refused as a replay on another."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

import tests.unit.auth.test_nonce_counts as contract
from sipwarden.auth.nonce_counts import NonceCountStore
from sipwarden.storage.redis_nonce_counts import RedisNonceCounts
from tests.integration.stores.conftest import Loop
from tests.unit.auth.test_nonce_counts import (  # noqa: F401  (collected here, on Redis)
    test_expired_nonce_is_refused,
    test_nc_must_grow,
    test_nonces_are_counted_apart,
    test_replay_after_expiry_is_still_refused,
    test_rfc2069_credentials_are_usable_once,
)

NOW, EXPIRES = contract.NOW, contract.EXPIRES


@pytest.fixture
def store(
    loop: Loop, client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> RedisNonceCounts:
    """The contract's `store`, on Redis; its `advance` helper runs on this test's loop."""

    def advance(
        store: NonceCountStore, nonce: str, nc: int, expires: float = EXPIRES, now: float = NOW
    ) -> bool:
        return loop.run(store.advance(nonce, nc, expires, now))

    monkeypatch.setattr(contract, "advance", advance)
    return RedisNonceCounts(client, prefix)


def test_a_nonce_used_on_one_node_is_a_replay_on_another(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    one, two = RedisNonceCounts(client, prefix), RedisNonceCounts(other_client, prefix)
    assert loop.run(one.advance("n1", 1, EXPIRES, NOW))
    assert not loop.run(two.advance("n1", 1, EXPIRES, NOW))
    assert loop.run(two.advance("n1", 2, EXPIRES, NOW))
    assert not loop.run(one.advance("n1", 2, EXPIRES, NOW))


def test_concurrent_advances_on_two_nodes_let_exactly_one_through(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    nodes = (RedisNonceCounts(client, prefix), RedisNonceCounts(other_client, prefix))

    async def race() -> list[bool]:
        tries = (nodes[i % 2].advance("n1", 1, EXPIRES, NOW) for i in range(20))
        return list(await asyncio.gather(*tries))

    assert loop.run(race()).count(True) == 1


def test_the_key_lives_as_long_as_the_nonce(loop: Loop, client: Redis, prefix: str) -> None:
    store = RedisNonceCounts(client, prefix)
    assert loop.run(store.advance("n1", 1, NOW + 30, NOW))
    assert 29_000 <= loop.run(client.pttl(f"{prefix}nc:n1")) <= 30_000
