"""The LocationStore contract (tests/unit/location/test_contract.py) on Redis, and what only a
shared store promises: two nodes see each other's bindings at once and lose no update."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
import redis
from redis.asyncio import Redis

import tests.unit.location.test_contract as contract
from sipwarden.location import Binding
from sipwarden.storage.redis_location import RedisLocationStore, encode
from tests.integration.stores.conftest import Loop
from tests.unit.location.test_contract import (  # noqa: F401  (collected here, on Redis)
    test_all_filters_by_prefix_and_limit,
    test_count_skips_expired,
    test_every_field_round_trips,
    test_expire_removes_on_time_and_reports_next_expiry,
    test_lookup_orders_by_q_then_most_recent_and_skips_expired,
    test_remove_one_contact_or_the_whole_aor,
    test_update_is_read_modify_write_and_returns_the_result,
    test_update_refuses_an_inconsistent_set,
    test_update_that_raises_writes_nothing,
    test_update_to_an_empty_set_removes_the_aor,
)

NOW = contract.NOW
ALICE = contract.ALICE
Change = Callable[[list[Binding]], tuple[None, list[Binding]]]
OTHER = Binding(ALICE, "sip:other@h", NOW + 3600, call_id="o", cseq=1)


@pytest.fixture
def store(
    loop: Loop, client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedisLocationStore]:
    """The contract's `store`, on Redis; the contract's `run` goes to this test's loop."""
    monkeypatch.setattr(contract, "run", loop.run)
    made = RedisLocationStore(client, prefix)
    yield made
    loop.run(made.close())


def add(contact: str, expires_at: float = NOW + 3600) -> Change:
    def change(current: list[Binding]) -> tuple[None, list[Binding]]:
        kept = [x for x in current if x.contact != contact]
        return None, [*kept, Binding(ALICE, contact, expires_at, call_id="c", cseq=1)]

    return change


def test_two_nodes_see_each_others_bindings_at_once(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    one, two = RedisLocationStore(client, prefix), RedisLocationStore(other_client, prefix)
    loop.run(one.update(ALICE, add("sip:one@h"), NOW))
    assert [b.contact for b in loop.run(two.lookup(ALICE, NOW))] == ["sip:one@h"]
    loop.run(two.update(ALICE, add("sip:two@h"), NOW))
    assert sorted(b.contact for b in loop.run(one.lookup(ALICE, NOW))) == ["sip:one@h", "sip:two@h"]
    assert loop.run(one.remove(ALICE, "sip:two@h")) == 1
    assert loop.run(two.count(NOW)) == 1


def test_concurrent_updates_from_two_nodes_lose_nothing(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    one, two = RedisLocationStore(client, prefix), RedisLocationStore(other_client, prefix)
    rounds = 40

    async def node(store: RedisLocationStore, name: str) -> None:
        for i in range(rounds):
            await store.update(ALICE, add(f"sip:{name}{i}@h"), NOW)

    async def race() -> None:
        await asyncio.gather(*(node(s, f"{n}{k}") for s, n in ((one, "x"), (two, "y"))
                               for k in range(3)))  # fmt: skip

    loop.run(race(), timeout=60)
    assert loop.run(one.count(NOW)) == 2 * 3 * rounds
    assert len(loop.run(two.lookup(ALICE, NOW))) == 2 * 3 * rounds


def test_a_change_is_retried_after_a_conflict(
    loop: Loop, client: Redis, redis_url: str, prefix: str
) -> None:
    store = RedisLocationStore(client, prefix)
    calls: list[list[str]] = []

    def interfering(current: list[Binding]) -> tuple[None, list[Binding]]:
        calls.append([b.contact for b in current])
        if len(calls) == 1:  # another node commits between our read and our write
            with redis.Redis.from_url(redis_url, socket_timeout=5) as other:
                other.hset(f"{prefix}loc:b:{ALICE}", "sip:other@h", encode(OTHER))
        return add("sip:mine@h")(current)

    loop.run(store.update(ALICE, interfering, NOW))
    assert calls == [[], ["sip:other@h"]]
    assert sorted(b.contact for b in loop.run(store.lookup(ALICE, NOW))) == [
        "sip:mine@h",
        "sip:other@h",
    ]


def test_expire_is_reported_by_one_node_only(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    one, two = RedisLocationStore(client, prefix), RedisLocationStore(other_client, prefix)
    loop.run(one.update(ALICE, add("sip:a@h", NOW + 10), NOW))

    async def both() -> list[list[Binding]]:
        return list(await asyncio.gather(one.expire(NOW + 10), two.expire(NOW + 10)))

    first, second = loop.run(both())
    assert len(first) + len(second) == 1
    assert loop.run(one.next_expiry()) is None
    assert loop.run(two.all(NOW)) == []


def test_keys_carry_a_ttl_past_the_last_expiry(loop: Loop, client: Redis, prefix: str) -> None:
    store = RedisLocationStore(client, prefix, grace=60)
    loop.run(store.update(ALICE, add("sip:a@h", NOW + 100), NOW))
    ttl = loop.run(client.pttl(f"{prefix}loc:b:{ALICE}"))
    assert 159_000 <= ttl <= 160_000
