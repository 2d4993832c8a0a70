"""The shared failure counters on SQLite and in memory (tests/integration/cluster/
test_counters_redis.py runs the same contract on Redis), and the guard's cluster-wide brute
force: failures counted by several nodes ban the address and lock the account."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipwarden.observe.events import EventBus
from sipwarden.observe.metrics import Metrics
from sipwarden.security.config import BruteForceConfig, SecurityConfig
from sipwarden.security.shield import Shield
from sipwarden.security.store import MemoryBanStore
from sipwarden.server.guard import Guard
from sipwarden.storage.counters import (
    FailureCounter,
    MemoryFailureCounter,
    SqliteFailureCounter,
)
from sipwarden.storage.sqlite import connect
from sipwarden.storage.urls import open_state

T0 = 1_700_000_000.0


@pytest.fixture
def sqlite_counter(tmp_path: Path) -> Iterator[SqliteFailureCounter]:
    conn = connect(tmp_path / "sipwarden.db")
    yield SqliteFailureCounter(conn)
    conn.close()


@pytest.fixture(params=["sqlite", "memory"])
def counter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FailureCounter]:
    if request.param == "memory":
        yield MemoryFailureCounter()
        return
    conn = connect(tmp_path / "sipwarden.db")
    yield SqliteFailureCounter(conn)
    conn.close()


def run(counter: FailureCounter, key: str, now: float, window: float) -> int:
    return asyncio.run(counter.add(key, now, window))


def test_counts_within_the_window(counter: FailureCounter) -> None:
    assert [run(counter, "ip:192.0.2.7", T0 + i, 60) for i in range(3)] == [1, 2, 3]


def test_keys_are_counted_apart(counter: FailureCounter) -> None:
    run(counter, "ip:192.0.2.7", T0, 60)
    assert run(counter, "ip:192.0.2.8", T0, 60) == 1
    assert run(counter, "account:alice@example.com", T0, 60) == 1


def test_failures_older_than_the_window_are_forgotten(counter: FailureCounter) -> None:
    run(counter, "k", T0, 10)
    run(counter, "k", T0 + 5, 10)
    assert run(counter, "k", T0 + 10, 10) == 2  # T0 left the window exactly at T0 + 10
    assert run(counter, "k", T0 + 30, 10) == 1


def test_same_instant_counts_twice(counter: FailureCounter) -> None:
    assert run(counter, "k", T0, 10) == 1
    assert run(counter, "k", T0, 10) == 2


def test_sqlite_rows_are_pruned(sqlite_counter: SqliteFailureCounter, tmp_path: Path) -> None:
    for i in range(50):
        run(sqlite_counter, "k", T0 + i * 10, 5)
    conn = connect(tmp_path / "sipwarden.db")
    try:
        (rows,) = conn.execute("SELECT COUNT(*) FROM failure_counter").fetchone()
    finally:
        conn.close()
    assert rows == 1


def test_two_connections_share_one_count(tmp_path: Path) -> None:
    """Two nodes on one SQLite file count together."""
    one, two = connect(tmp_path / "s.db"), connect(tmp_path / "s.db")
    try:
        a, b = SqliteFailureCounter(one), SqliteFailureCounter(two)
        assert [run(c, "k", T0 + i, 60) for i, c in enumerate([a, b, a, b])] == [1, 2, 3, 4]
    finally:
        one.close()
        two.close()


def test_the_embedded_state_has_sqlite_counters(tmp_path: Path) -> None:
    async def check() -> int:
        state = await open_state("", data_dir=tmp_path)
        try:
            assert isinstance(state.counters, SqliteFailureCounter)
            return await state.counters.add("k", T0, 60)
        finally:
            await state.close()

    assert asyncio.run(check()) == 1


# ----- the guard: cluster-wide brute force ------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def make_guard(counters: FailureCounter, node: str, clock: Clock) -> Guard:
    config = SecurityConfig(
        brute_force=BruteForceConfig(address_failures=6, account_failures=9, lock_seconds=60)
    )
    return Guard(
        Shield(config), MemoryBanStore(), EventBus(), Metrics(), clock, node, counters=counters
    )


async def spread_failures(guards: list[Guard], clock: Clock, count: int, ip: str) -> None:
    for i in range(count):
        clock.now += 0.1
        guards[i % len(guards)].auth_failed(ip, "alice@example.com", "wrong_password")
        await asyncio.sleep(0)  # the counting task
        await asyncio.sleep(0)


def test_failures_spread_over_three_nodes_ban_the_address() -> None:
    async def scenario() -> tuple[list[bool], list[int]]:
        shared, clock = MemoryFailureCounter(), Clock()
        guards = [make_guard(shared, f"node{n}", clock) for n in (1, 2, 3)]
        await spread_failures(guards, clock, 5, "192.0.2.7")  # 2 per node: under every limit
        before = [g.shield.ban_of("192.0.2.7", clock.now) is not None for g in guards]
        await spread_failures(guards, clock, 1, "192.0.2.7")  # the sixth, cluster-wide
        banned = [g for g in guards if g.shield.ban_of("192.0.2.7", clock.now) is not None]
        after = [guards.index(g) for g in banned]  # node 1 counted the sixth
        for guard in guards:
            await guard.close()
        return before, after

    before, after = asyncio.run(scenario())
    assert before == [False, False, False]
    assert after == [0]  # the others apply it from the ban log (test_three_nodes.py)


def test_failures_against_one_account_from_many_addresses_lock_it() -> None:
    async def scenario() -> bool:
        shared, clock = MemoryFailureCounter(), Clock()
        guards = [make_guard(shared, f"node{n}", clock) for n in (1, 2, 3)]
        for i in range(9):
            await spread_failures(guards[i % 3 :][:1], clock, 1, f"198.51.100.{i + 1}")
        locked = guards[2].locked("alice@example.com")
        for guard in guards:
            await guard.close()
        return locked

    assert asyncio.run(scenario())


def test_a_node_without_shared_counters_counts_alone() -> None:
    async def scenario() -> bool:
        clock = Clock()
        guard = Guard(
            Shield(SecurityConfig(brute_force=BruteForceConfig(address_failures=3))),
            MemoryBanStore(),
            EventBus(),
            Metrics(),
            clock,
            "node1",
        )
        for _ in range(3):
            clock.now += 0.1
            guard.auth_failed("192.0.2.9", "bob@example.com", "wrong_password")
        banned = guard.shield.ban_of("192.0.2.9", clock.now) is not None
        await guard.close()
        return banned

    assert asyncio.run(scenario())
