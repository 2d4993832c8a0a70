"""The Redis NodeRegistry on the real Redis: two clients are two nodes of one cluster."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from sipwarden.storage.nodes import FORGET, NodeInfo
from sipwarden.storage.redis_nodes import RedisNodeRegistry
from sipwarden.storage.urls import open_state
from tests.integration.stores.conftest import Loop

T0 = 1_700_000_000.0
ONE = NodeInfo("n1", ("udp:127.0.0.1:5060",), "1.2.3", T0 - 100, {"state": "ok"})
TWO = NodeInfo("n2", ("udp:127.0.0.1:5070",), "1.2.3", T0 - 50, {"state": "ok"})


def test_each_node_sees_both(loop: Loop, client: Redis, other_client: Redis, prefix: str) -> None:
    first, second = RedisNodeRegistry(client, prefix), RedisNodeRegistry(other_client, prefix)
    loop.run(first.heartbeat(ONE, T0))
    loop.run(second.heartbeat(TWO, T0 + 1))
    for registry in (first, second):
        listed = loop.run(registry.nodes(T0 + 2))
        assert [(n.name, n.last_seen, n.alive) for n in listed] == [
            ("n1", T0, True),
            ("n2", T0 + 1, True),
        ]
    assert loop.run(first.nodes(T0 + 2))[0].to_json() == {
        "name": "n1",
        "listeners": ["udp:127.0.0.1:5060"],
        "version": "1.2.3",
        "started": T0 - 100,
        "health": {"state": "ok"},
        "last_seen": T0,
        "alive": True,
    }


def test_alive_within_ttl_then_forgotten(loop: Loop, client: Redis, prefix: str) -> None:
    registry = RedisNodeRegistry(client, prefix, ttl=5.0)
    loop.run(registry.heartbeat(ONE, T0))
    assert loop.run(registry.nodes(T0 + 5))[0].alive
    assert [(n.name, n.alive) for n in loop.run(registry.nodes(T0 + 6))] == [("n1", False)]
    assert loop.run(registry.nodes(T0 + FORGET + 1)) == []
    loop.run(registry.heartbeat(TWO, T0 + FORGET + 1))
    assert loop.run(client.zrange(f"{prefix}nodes", 0, -1)) == ["n2"]  # n1 pruned


def test_keys_expire(loop: Loop, client: Redis, prefix: str) -> None:
    registry = RedisNodeRegistry(client, prefix)
    loop.run(registry.heartbeat(ONE, T0))
    ttl = loop.run(client.pttl(f"{prefix}node:n1"))
    assert 0 < ttl <= FORGET * 1000
    assert 0 < loop.run(client.ttl(f"{prefix}nodes")) <= FORGET
    loop.run(client.delete(f"{prefix}node:n1"))  # as when the key expired
    assert loop.run(registry.nodes(T0)) == []


def test_through_open_state(loop: Loop, redis_url: str, prefix: str, tmp_path: Path) -> None:
    async def roundtrip() -> list[str]:
        state = await open_state(redis_url, data_dir=str(tmp_path), prefix=prefix)
        try:
            await state.nodes.heartbeat(ONE, T0)
            return [node.name for node in await state.nodes.nodes(T0)]
        finally:
            await state.close()

    assert loop.run(roundtrip()) == ["n1"]
