"""The SQLite NodeRegistry: heartbeats, alive within the TTL, forgotten after a minute, and the
health probe. tests/integration/stores/test_redis_nodes.py runs the same on Redis."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipwarden import __version__
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.nodes import (
    FORGET,
    NodeInfo,
    SqliteNodeRegistry,
    beat,
    node_name,
    probe,
)
from sipwarden.storage.sqlite import connect
from sipwarden.storage.urls import open_state

T0 = 1_700_000_000.0
ONE = NodeInfo(
    "host/udp:127.0.0.1:5060",
    ("udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"),
    "1.2.3",
    T0 - 100,
    {"state": "ok"},
)
TWO = NodeInfo("host/udp:127.0.0.1:5070", ("udp:127.0.0.1:5070",), "1.2.3", T0 - 50, {})


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[SqliteNodeRegistry]:
    conn = connect(tmp_path / "sipwarden.db")
    yield SqliteNodeRegistry(conn)
    conn.close()


def test_heartbeat_then_list(registry: SqliteNodeRegistry) -> None:
    asyncio.run(registry.heartbeat(TWO, T0))
    asyncio.run(registry.heartbeat(ONE, T0 + 1))
    listed = asyncio.run(registry.nodes(T0 + 2))
    assert [node.name for node in listed] == [ONE.name, TWO.name]
    assert listed[0].to_json() == {
        "name": "host/udp:127.0.0.1:5060",
        "listeners": ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"],
        "version": "1.2.3",
        "started": T0 - 100,
        "health": {"state": "ok"},
        "last_seen": T0 + 1,
        "alive": True,
    }
    assert (listed[1].last_seen, listed[1].alive) == (T0, True)


def test_alive_within_ttl_then_forgotten(registry: SqliteNodeRegistry) -> None:
    asyncio.run(registry.heartbeat(ONE, T0))
    assert asyncio.run(registry.nodes(T0 + registry.ttl))[0].alive
    late = asyncio.run(registry.nodes(T0 + registry.ttl + 0.1))
    assert [(node.name, node.alive) for node in late] == [(ONE.name, False)]
    assert asyncio.run(registry.nodes(T0 + FORGET + 1)) == []


def test_latest_heartbeat_wins(registry: SqliteNodeRegistry) -> None:
    asyncio.run(registry.heartbeat(ONE, T0))
    unwell = NodeInfo(ONE.name, ONE.listeners, ONE.version, ONE.started, {"storage": "down"})
    asyncio.run(registry.heartbeat(unwell, T0 + 1))
    (node,) = asyncio.run(registry.nodes(T0 + 1))
    assert (node.health, node.last_seen) == ({"storage": "down"}, T0 + 1)


def test_old_rows_are_deleted(registry: SqliteNodeRegistry, tmp_path: Path) -> None:
    asyncio.run(registry.heartbeat(TWO, T0))
    asyncio.run(registry.heartbeat(ONE, T0 + FORGET + 1))
    conn = connect(tmp_path / "sipwarden.db")
    try:
        rows = conn.execute("SELECT name FROM cluster_node").fetchall()
    finally:
        conn.close()
    assert rows == [(ONE.name,)]


def test_two_nodes_share_one_file(tmp_path: Path) -> None:
    async def both() -> list[str]:
        first = await open_state("", data_dir=tmp_path)
        second = await open_state("", data_dir=tmp_path)
        try:
            await first.nodes.heartbeat(ONE, T0)
            await second.nodes.heartbeat(TWO, T0)
            return [node.name for node in await first.nodes.nodes(T0)]
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(both()) == [ONE.name, TWO.name]


def test_node_name() -> None:
    assert node_name("pbx1", ["udp:0.0.0.0:5060", "tls:0.0.0.0:5061"]) == "pbx1/udp:0.0.0.0:5060"
    assert node_name("pbx1", []) == "pbx1"


def test_probe() -> None:
    async def fine() -> None:
        return None

    async def down() -> None:
        raise StoreUnavailable("redis", "Connection refused")

    health = asyncio.run(probe({"state": fine, "storage": down}))
    assert health == {"state": "ok", "storage": "unavailable: Connection refused"}


def test_probe_is_bounded() -> None:
    async def hangs() -> None:
        await asyncio.sleep(10)

    health = asyncio.run(probe({"storage": hangs}, timeout=0.01))
    assert health == {"storage": "unavailable: no answer within 0.01 s"}


def test_beat(registry: SqliteNodeRegistry) -> None:
    listeners = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]
    health = {"state": "ok", "storage": "unavailable: timed out"}
    sent = asyncio.run(beat(registry, listeners, T0 - 10, health, T0))
    (listed,) = asyncio.run(registry.nodes(T0 + 1))
    assert listed == NodeInfo(
        f"{socket.gethostname()}/udp:127.0.0.1:5060",
        tuple(listeners),
        __version__,
        T0 - 10,
        health,
        T0,
        True,
    )
    assert sent.name == listed.name
