"""Nonce-count replay protection in memory and in SQLite (auth/nonce_counts.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from sipwarden.auth.nonce_counts import MemoryNonceCounts, NonceCountStore, SqliteNonceCounts
from sipwarden.errors import LocalError
from sipwarden.storage.sqlite import connect

NOW = 1_700_000_000.0
EXPIRES = NOW + 300


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sipwarden.db"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, db_path: Path) -> Iterator[NonceCountStore]:
    if request.param == "memory":
        yield MemoryNonceCounts()
        return
    with closing(connect(db_path)) as conn:
        yield SqliteNonceCounts(conn)


def advance(
    store: NonceCountStore, nonce: str, nc: int, expires: float = EXPIRES, now: float = NOW
) -> bool:
    return asyncio.run(store.advance(nonce, nc, expires, now))


def test_nc_must_grow(store: NonceCountStore) -> None:
    assert advance(store, "n1", 1)
    assert not advance(store, "n1", 1)  # the same request again: a replay
    assert advance(store, "n1", 2)
    assert advance(store, "n1", 5)  # gaps are fine (RFC 7616 §3.4: the client counts up)
    assert not advance(store, "n1", 3)  # going back is a replay
    assert not advance(store, "n1", 5)


def test_nonces_are_counted_apart(store: NonceCountStore) -> None:
    assert advance(store, "n1", 1)
    assert advance(store, "n2", 1)
    assert not advance(store, "n2", 1)


def test_rfc2069_credentials_are_usable_once(store: NonceCountStore) -> None:
    assert advance(store, "old", 1)
    assert not advance(store, "old", 1)


def test_expired_nonce_is_refused(store: NonceCountStore) -> None:
    assert not advance(store, "n1", 1, expires=NOW, now=NOW)
    assert not advance(store, "n1", 9, expires=NOW - 1, now=NOW)


def test_replay_after_expiry_is_still_refused(store: NonceCountStore) -> None:
    assert advance(store, "n1", 1)
    assert not advance(store, "n1", 2, now=EXPIRES + 1)


def test_memory_sweep_forgets_expired_nonces() -> None:
    store = MemoryNonceCounts(sweep_interval=60)
    assert advance(store, "early", 1, expires=NOW + 10)
    assert advance(store, "late", 1, expires=NOW + 1000, now=NOW + 1)
    assert len(store) == 2
    assert advance(store, "x", 1, expires=NOW + 100, now=NOW + 30)  # sweep not due yet
    assert len(store) == 3
    assert advance(store, "y", 1, expires=NOW + 1000, now=NOW + 61)  # due: "early" goes
    assert len(store) == 3
    assert store.sweep(NOW + 500) == 1  # "x"
    assert len(store) == 2


def _rows(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return conn.execute("SELECT nonce, nc FROM nonce_counts ORDER BY nonce").fetchall()


def test_sqlite_second_connection_sees_the_count(db_path: Path) -> None:
    with closing(connect(db_path)) as first, closing(connect(db_path)) as second:
        a, b = SqliteNonceCounts(first), SqliteNonceCounts(second)
        assert advance(a, "n1", 1)
        assert not advance(b, "n1", 1)  # another worker replaying the same request
        assert advance(b, "n1", 2)
        assert not advance(a, "n1", 2)
        assert _rows(first) == [("n1", 2)]


def test_sqlite_count_survives_reopening(db_path: Path) -> None:
    with closing(connect(db_path)) as conn:
        assert advance(SqliteNonceCounts(conn), "n1", 3)
    with closing(connect(db_path)) as conn:
        store = SqliteNonceCounts(conn)  # migrations already applied: nothing re-run
        assert not advance(store, "n1", 3)
        assert conn.execute(
            "SELECT version FROM schema_version WHERE component = 'nonce_counts'"
        ).fetchone() == (1,)


def test_sqlite_sweep_deletes_expired_rows(db_path: Path) -> None:
    with closing(connect(db_path)) as conn:
        store = SqliteNonceCounts(conn, sweep_interval=60)
        assert advance(store, "early", 1, expires=NOW + 10)
        assert advance(store, "late", 1, expires=NOW + 1000, now=NOW + 1)
        assert advance(store, "x", 1, expires=NOW + 100, now=NOW + 30)  # sweep not due
        assert [n for n, _ in _rows(conn)] == ["early", "late", "x"]
        assert advance(store, "y", 1, expires=NOW + 1000, now=NOW + 61)
        assert [n for n, _ in _rows(conn)] == ["late", "x", "y"]
        assert store.sweep(NOW + 500) == 1
        assert [n for n, _ in _rows(conn)] == ["late", "y"]


def test_concurrent_advances_let_exactly_one_through(db_path: Path) -> None:
    async def race(store: NonceCountStore) -> list[bool]:
        return list(
            await asyncio.gather(*(store.advance("n1", 1, EXPIRES, NOW) for _ in range(10)))
        )

    with closing(connect(db_path)) as conn:
        assert asyncio.run(race(SqliteNonceCounts(conn))).count(True) == 1
    assert asyncio.run(race(MemoryNonceCounts())).count(True) == 1


def test_bad_sweep_interval() -> None:
    with pytest.raises(LocalError):
        MemoryNonceCounts(sweep_interval=0)
