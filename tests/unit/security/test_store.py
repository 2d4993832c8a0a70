"""The ban store: SQLite round trip across a reopen, the change log, and the memory store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sipwarden.security import Ban, Lock
from sipwarden.security.store import BanStore, MemoryBanStore, SqliteBanStore
from sipwarden.storage.sqlite import connect

T0 = 1_000_000.0
BANS = [
    Ban("192.0.2.1", T0, T0 + 60, "flood", 1, "shield"),
    Ban("2001:db8::1", T0 + 1, None, "admin", 0, "cli"),
]


async def round_trip(store: BanStore) -> None:
    for ban in BANS:
        await store.save(ban)
    await store.save(Ban("192.0.2.9", T0 + 2, T0 + 9, "x", 2))
    await store.delete("192.0.2.9")
    await store.save_lock(Lock("alice@x", T0, T0 + 300, "bruteforce_account"))
    await store.save_lock(Lock("bob@x", T0, None, "admin", "ops"))
    await store.delete_lock("bob@x")


def test_sqlite_round_trip_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sipwarden.db"
    conn = connect(path)
    try:
        asyncio.run(round_trip(SqliteBanStore(conn)))
    finally:
        conn.close()
    conn = connect(path)
    try:
        store = SqliteBanStore(conn)
        assert asyncio.run(store.load()) == BANS
        assert asyncio.run(store.load_locks()) == [
            Lock("alice@x", T0, T0 + 300, "bruteforce_account")
        ]
    finally:
        conn.close()


def test_memory_round_trip() -> None:
    store = MemoryBanStore()
    asyncio.run(round_trip(store))
    assert asyncio.run(store.load()) == BANS
    assert [lock.account for lock in asyncio.run(store.load_locks())] == ["alice@x"]


async def changes(store: BanStore) -> list[tuple[int, str, bool, str]]:
    assert await store.last_change() == 0
    ban = Ban("192.0.2.1", T0, T0 + 60, "manual", 0, "cli")
    await store.admin_ban(ban, T0)
    assert await store.admin_lift("192.0.2.1", "cli", T0 + 1)
    assert not await store.admin_lift("192.0.2.1", "cli", T0 + 2)
    await store.admin_ban(Ban("192.0.2.2", T0 + 3, None, "manual", 0, "cli"), T0 + 3)
    first = await store.changes(0)
    assert (await store.changes(first[0].seq))[0] == first[1]
    assert await store.last_change() == first[-1].seq
    assert first[0].ban == ban
    return [(c.seq, c.ip, c.ban is not None, c.by) for c in first]


EXPECTED = [(1, "192.0.2.1", True, "cli"), (2, "192.0.2.1", False, "cli"),
            (3, "192.0.2.2", True, "cli")]  # fmt: skip


def test_sqlite_change_log(tmp_path: Path) -> None:
    conn = connect(tmp_path / "sipwarden.db")
    try:
        store = SqliteBanStore(conn)
        assert asyncio.run(changes(store)) == EXPECTED
        assert [ban.ip for ban in asyncio.run(store.load())] == ["192.0.2.2"]
    finally:
        conn.close()


def test_memory_change_log() -> None:
    assert asyncio.run(changes(MemoryBanStore())) == EXPECTED


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_changes_older_than_a_day_are_pruned(kind: str, tmp_path: Path) -> None:
    conn = connect(tmp_path / "sipwarden.db")
    try:
        store: BanStore = SqliteBanStore(conn) if kind == "sqlite" else MemoryBanStore()

        async def run() -> list[int]:
            await store.admin_ban(Ban("192.0.2.1", T0, None, "m", 0, "cli"), T0)
            await store.admin_ban(Ban("192.0.2.2", T0, None, "m", 0, "cli"), T0 + 86400)
            await store.admin_ban(Ban("192.0.2.3", T0, None, "m", 0, "cli"), T0 + 86400.5)
            return [c.seq for c in await store.changes(0)]

        assert asyncio.run(run()) == [2, 3]
    finally:
        conn.close()
