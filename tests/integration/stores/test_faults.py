"""Outages: a store whose backend is down raises StoreUnavailable within bounded time, and
works again, with every acknowledged write, once the backend is back.

The Redis tests run their own redis-server (a throwaway port and directory, append-only file
with fsync on every write, as docs/cluster.md recommends), so killing it disturbs nobody.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from sipwarden.location import Binding
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.postgres import Database
from sipwarden.storage.redis_bans import RedisBanStore
from sipwarden.storage.redis_client import connect_redis
from sipwarden.storage.redis_location import RedisLocationStore
from sipwarden.storage.redis_nonce_counts import RedisNonceCounts
from sipwarden.storage.urls import open_state, open_storage
from sipwarden.users.postgres import PostgresUserStore
from tests.integration.stores.conftest import Loop

NOW = 1_700_000_000.0
ALICE = "sip:alice@example.com"
REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisProcess:
    """A redis-server of this test, stopped and started again on the same port and files."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as client:
                    client.ping()
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """As a crash: SIGKILL, no chance to save anything more."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed: cannot run a Redis of our own to kill")
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.kill()


def add(contact: str) -> Callable[[list[Binding]], tuple[None, list[Binding]]]:
    def change(current: list[Binding]) -> tuple[None, list[Binding]]:
        return None, [*current, Binding(ALICE, contact, NOW + 3600, call_id="c", cseq=1)]

    return change


def test_redis_down_then_back_loses_no_acknowledged_write(
    loop: Loop, own_redis: RedisProcess
) -> None:
    client = connect_redis(own_redis.url, timeout=0.5, retries=2)
    location = RedisLocationStore(client, "t:")
    nonces = RedisNonceCounts(client, "t:")
    bans = RedisBanStore(client, "t:")
    try:
        loop.run(location.update(ALICE, add("sip:before@h"), NOW))
        assert loop.run(nonces.advance("n1", 1, NOW + 300, NOW))
        own_redis.kill()
        started = time.monotonic()
        for call in (
            location.lookup(ALICE, NOW),
            location.update(ALICE, add("sip:during@h"), NOW),
            location.expire(NOW),
            nonces.advance("n1", 2, NOW + 300, NOW),
            bans.changes(0),
        ):
            with pytest.raises(StoreUnavailable) as caught:
                loop.run(call)
            assert caught.value.backend == "redis"
        assert time.monotonic() - started < 15  # bounded: timeouts and a few retries
        own_redis.start()  # same port, same append-only file
        found = loop.run(location.lookup(ALICE, NOW))
        assert [b.contact for b in found] == ["sip:before@h"]  # the 200'd one, not the failed
        assert not loop.run(nonces.advance("n1", 1, NOW + 300, NOW))  # still a replay
        loop.run(location.update(ALICE, add("sip:after@h"), NOW))
        assert len(loop.run(location.lookup(ALICE, NOW))) == 2
    finally:
        loop.run(client.aclose())


def test_opening_state_on_a_dead_redis_fails_at_once(loop: Loop, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"^redis unavailable: "):
        loop.run(open_state(url, data_dir=tmp_path))
    assert time.monotonic() - started < 15


def test_opening_storage_on_a_dead_postgresql_fails_at_once(loop: Loop, tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/test"
    with pytest.raises(StoreUnavailable, match=r"^postgresql unavailable: "):
        loop.run(open_storage(url, data_dir=tmp_path))


def test_postgresql_connections_lost_then_recovered(
    loop: Loop, postgres_url: str, schema: str
) -> None:
    name = f"sipwarden-test-{schema}"
    database = loop.run(Database.open(postgres_url, schema=schema, name=name))
    try:
        users = loop.run(PostgresUserStore.open(database))
        record = loop.run(users.add("alice", "example.com", "pw"))
        loop.run(_terminate_sessions(postgres_url, name))  # as when PostgreSQL restarts
        outcomes: list[object] = []
        for _ in range(3):  # a call may meet the dead connection (or the pool replaces it)
            try:
                outcomes.append(loop.run(users.find("alice", "example.com")))
            except StoreUnavailable as exc:
                outcomes.append(exc)
        assert all(o == record or isinstance(o, StoreUnavailable) for o in outcomes)
        assert outcomes[-2:] == [record, record]
        assert loop.run(_sessions(postgres_url, name)) >= 1  # connected again
    finally:
        loop.run(database.close())


async def _terminate_sessions(url: str, application_name: str) -> None:
    """End the sessions of this test's pool only (other tests share the server)."""
    conn = await asyncpg.connect(url, timeout=5)
    try:
        ended = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            application_name,
        )
        assert ended >= 1
    finally:
        await conn.close()


async def _sessions(url: str, application_name: str) -> int:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application_name
        )
        return int(count)
    finally:
        await conn.close()


def test_redis_dying_inside_an_update_is_reported_not_retried(
    loop: Loop, own_redis: RedisProcess
) -> None:
    client = connect_redis(own_redis.url, timeout=0.5, retries=1)
    location = RedisLocationStore(client, "t:")
    calls: list[int] = []

    def dying(current: list[Binding]) -> tuple[None, list[Binding]]:
        calls.append(len(current))
        own_redis.kill()  # between our read (under WATCH) and our EXEC
        return None, [*current, Binding(ALICE, "sip:lost@h", NOW + 3600)]

    try:
        loop.run(location.update(ALICE, add("sip:before@h"), NOW))
        with pytest.raises(StoreUnavailable):
            loop.run(location.update(ALICE, dying, NOW))
        assert calls == [1]  # `change` ran once: no blind second try
        own_redis.start()
        assert [b.contact for b in loop.run(location.lookup(ALICE, NOW))] == ["sip:before@h"]
    finally:
        loop.run(client.aclose())
