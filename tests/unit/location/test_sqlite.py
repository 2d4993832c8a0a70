"""What only the SQLite store promises: durability, WAL, and safe sharing of one file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sipwarden.location import Binding
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.storage.sqlite import connect

NOW = 1_700_000_000.0
ALICE = "sip:alice@example.com"


Change = Callable[[list[Binding]], tuple[None, list[Binding]]]


def add(contact: str, expires_at: float = NOW + 3600) -> Change:
    """A change function that adds (or replaces) one binding of ALICE."""

    def change(current: list[Binding]) -> tuple[None, list[Binding]]:
        kept = [x for x in current if x.contact != contact]
        return None, [*kept, Binding(ALICE, contact, expires_at, call_id="c", cseq=1)]

    return change


def test_bindings_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sipwarden.db"
    store = SqliteLocationStore.open(path)
    asyncio.run(store.update(ALICE, add("sip:a@192.0.2.1"), NOW))
    asyncio.run(store.close())
    again = SqliteLocationStore.open(path)  # the migration is not run twice
    try:
        [found] = asyncio.run(again.lookup(ALICE, NOW))
        assert (found.contact, found.expires_at) == ("sip:a@192.0.2.1", NOW + 3600)
        version = again.connection.execute(
            "SELECT version FROM schema_version WHERE component = 'location'"
        ).fetchone()
        assert version == (1,)
    finally:
        asyncio.run(again.close())


def test_wal_mode_is_on(tmp_path: Path) -> None:
    store = SqliteLocationStore.open(tmp_path / "sipwarden.db")
    try:
        assert store.connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        asyncio.run(store.close())


def test_two_connections_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "sipwarden.db"
    one, two = SqliteLocationStore.open(path), SqliteLocationStore.open(path)
    try:
        asyncio.run(one.update(ALICE, add("sip:one@h"), NOW))
        assert [x.contact for x in asyncio.run(two.lookup(ALICE, NOW))] == ["sip:one@h"]
        asyncio.run(two.update(ALICE, add("sip:two@h"), NOW))
        assert sorted(x.contact for x in asyncio.run(one.lookup(ALICE, NOW))) == [
            "sip:one@h",
            "sip:two@h",
        ]
        assert asyncio.run(one.remove(ALICE, "sip:two@h")) == 1
        assert asyncio.run(two.count(NOW)) == 1
    finally:
        asyncio.run(one.close())
        asyncio.run(two.close())


def test_concurrent_updates_from_two_connections_lose_no_binding(tmp_path: Path) -> None:
    path = tmp_path / "sipwarden.db"
    SqliteLocationStore.open(path).connection.close()  # create the schema once, up front
    rounds = 40
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        store = SqliteLocationStore.open(path)
        try:
            start.wait()
            for i in range(rounds):
                asyncio.run(store.update(ALICE, add(f"sip:{name}{i}@h"), NOW))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            asyncio.run(store.close())

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    check = SqliteLocationStore.open(path)
    try:
        assert asyncio.run(check.count(NOW)) == 2 * rounds
    finally:
        asyncio.run(check.close())


def test_a_borrowed_connection_is_left_open(tmp_path: Path) -> None:
    conn = connect(tmp_path / "sipwarden.db")
    try:
        store = SqliteLocationStore(conn)
        asyncio.run(store.update(ALICE, add("sip:a@h"), NOW))
        asyncio.run(store.close())
        assert conn.execute("SELECT COUNT(*) FROM location_binding").fetchone() == (1,)
    finally:
        conn.close()


def test_expiry_index_exists(tmp_path: Path) -> None:
    store = SqliteLocationStore.open(tmp_path / "sipwarden.db")
    try:
        plan = store.connection.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM location_binding WHERE expires_at <= 1"
        ).fetchall()
        assert "location_binding_expires" in str(plan)
        plan = store.connection.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM location_binding WHERE aor = 'x'"
        ).fetchall()
        assert "INDEX" in str(plan)
    finally:
        asyncio.run(store.close())


def test_a_failed_migration_closes_the_connection(tmp_path: Path) -> None:
    path = tmp_path / "sipwarden.db"
    conn = connect(path)
    conn.execute("CREATE TABLE location_binding (x)")  # in the way of migration 1
    conn.close()
    with pytest.raises(sqlite3.OperationalError):
        SqliteLocationStore.open(path)


def _statements(store: SqliteLocationStore) -> list[str]:
    """The SQL the store's connection runs from now on, first words only."""
    seen: list[str] = []
    store.connection.set_trace_callback(lambda sql: seen.append(" ".join(sql.split()[:2])))
    return seen


def test_a_refresh_rewrites_its_row_in_place(tmp_path: Path) -> None:
    store = SqliteLocationStore.open(tmp_path / "sipwarden.db")
    try:
        asyncio.run(store.update(ALICE, add("sip:a@h"), NOW))
        seen = _statements(store)
        asyncio.run(store.update(ALICE, add("sip:a@h", NOW + 7200), NOW))
        assert seen == ["BEGIN IMMEDIATE", "SELECT aor,", "UPDATE location_binding", "COMMIT"]
        [found] = asyncio.run(store.lookup(ALICE, NOW))
        assert found.expires_at == NOW + 7200
    finally:
        asyncio.run(store.close())


def _mark(conn: sqlite3.Connection, answer: bool) -> Callable[[], bool]:
    """A `first` for update_after: writes a row of its own, then answers."""

    def first() -> bool:
        conn.execute("INSERT INTO marks VALUES (1)")
        return answer

    return first


@pytest.fixture
def marked(tmp_path: Path) -> Iterator[SqliteLocationStore]:
    store = SqliteLocationStore.open(tmp_path / "sipwarden.db")
    store.connection.execute("CREATE TABLE marks (x)")
    yield store
    asyncio.run(store.close())


def _marks(store: SqliteLocationStore) -> int:
    return int(store.connection.execute("SELECT COUNT(*) FROM marks").fetchone()[0])


def test_update_after_commits_both_writes_in_one_transaction(
    marked: SqliteLocationStore,
) -> None:
    seen = _statements(marked)
    assert marked.update_after(_mark(marked.connection, True), ALICE, add("sip:a@h"), NOW) == (
        True,
        None,
    )
    assert seen.count("BEGIN IMMEDIATE") == seen.count("COMMIT") == 1
    assert seen.index("INSERT INTO") < seen.index("COMMIT")
    assert _marks(marked) == 1
    assert contacts_of(marked) == ["sip:a@h"]


def test_update_after_a_refusal_changes_no_binding(marked: SqliteLocationStore) -> None:
    result = marked.update_after(_mark(marked.connection, False), ALICE, add("sip:a@h"), NOW)
    assert result == (False, None)
    assert _marks(marked) == 1  # what `first` wrote is kept
    assert contacts_of(marked) == []


def test_update_after_writes_nothing_when_the_change_raises(marked: SqliteLocationStore) -> None:
    def boom(current: list[Binding]) -> tuple[None, list[Binding]]:
        raise RuntimeError("registrar bug")

    with pytest.raises(RuntimeError):
        marked.update_after(_mark(marked.connection, True), ALICE, boom, NOW)
    assert _marks(marked) == 0
    assert not marked.connection.in_transaction


def contacts_of(store: SqliteLocationStore) -> list[str]:
    return [b.contact for b in asyncio.run(store.lookup(ALICE, NOW))]
