"""Bans on Redis: the round trip and change log of tests/unit/security/test_store.py, TTLs,
and a ban made on one node seen by another's `changes()` at once."""

from __future__ import annotations

from redis.asyncio import Redis

from sipwarden.security import Ban, Lock
from sipwarden.storage.redis_bans import RedisBanStore
from tests.integration.stores.conftest import Loop
from tests.unit.security.test_store import BANS, EXPECTED, T0, changes, round_trip


def test_round_trip_survives_a_new_client(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    loop.run(round_trip(RedisBanStore(client, prefix)))
    again = RedisBanStore(other_client, prefix)
    assert loop.run(again.load()) == BANS
    assert loop.run(again.load_locks()) == [Lock("alice@x", T0, T0 + 300, "bruteforce_account")]


def test_change_log(loop: Loop, client: Redis, prefix: str) -> None:
    store = RedisBanStore(client, prefix)
    assert loop.run(changes(store)) == EXPECTED
    assert [ban.ip for ban in loop.run(store.load())] == ["192.0.2.2"]


def test_changes_older_than_a_day_are_pruned(loop: Loop, client: Redis, prefix: str) -> None:
    store = RedisBanStore(client, prefix)

    async def run() -> list[int]:
        await store.admin_ban(Ban("192.0.2.1", T0, None, "m", 0, "cli"), T0)
        await store.admin_ban(Ban("192.0.2.2", T0, None, "m", 0, "cli"), T0 + 86400)
        await store.admin_ban(Ban("192.0.2.3", T0, None, "m", 0, "cli"), T0 + 86400.5)
        return [c.seq for c in await store.changes(0)]

    assert loop.run(run()) == [2, 3]
    assert loop.run(store.last_change()) == 3


def test_a_ban_on_one_node_reaches_the_others_changes(
    loop: Loop, client: Redis, other_client: Redis, prefix: str
) -> None:
    one, two = RedisBanStore(client, prefix), RedisBanStore(other_client, prefix)
    start = loop.run(two.last_change())
    ban = Ban("198.51.100.7", T0, T0 + 600, "bruteforce", 1, "node-1")
    loop.run(one.admin_ban(ban, T0))
    [seen] = loop.run(two.changes(start))
    assert (seen.ip, seen.ban, seen.by) == ("198.51.100.7", ban, "node-1")
    assert loop.run(two.load()) == [ban]
    assert loop.run(two.admin_lift("198.51.100.7", "node-2", T0 + 1))
    [lifted] = loop.run(one.changes(seen.seq))
    assert (lifted.ip, lifted.ban, lifted.by) == ("198.51.100.7", None, "node-2")
    assert loop.run(one.load()) == []


def test_bans_and_locks_expire_through_ttls(loop: Loop, client: Redis, prefix: str) -> None:
    store = RedisBanStore(client, prefix, grace=10)
    loop.run(store.save(Ban("192.0.2.1", T0, T0 + 60, "flood", 1)))
    loop.run(store.save(Ban("192.0.2.2", T0, None, "admin", 0, "cli")))
    loop.run(store.save_lock(Lock("alice@x", T0, T0 + 20, "bruteforce_account")))
    assert 69_000 <= loop.run(client.pttl(f"{prefix}ban:192.0.2.1")) <= 70_000
    assert loop.run(client.pttl(f"{prefix}ban:192.0.2.2")) == -1  # until lifted
    assert 29_000 <= loop.run(client.pttl(f"{prefix}lock:alice@x")) <= 30_000
    loop.run(client.delete(f"{prefix}ban:192.0.2.1"))  # as when the TTL ends
    assert [ban.ip for ban in loop.run(store.load())] == ["192.0.2.2"]
    assert loop.run(client.smembers(f"{prefix}bans")) == {"192.0.2.2"}  # pruned
