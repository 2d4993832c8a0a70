"""SqliteUserStore: admin operations, HA1-only storage, the async CredentialStore read."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipwarden.auth.hashes import ha1_all
from sipwarden.auth.store import CredentialStore, UserRecord
from sipwarden.storage.sqlite import DB_NAME, connect
from sipwarden.users import SqliteUserStore, UserError

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SqliteUserStore]:
    with SqliteUserStore.open(tmp_path, clock=clock) as opened:
        yield opened


def test_add_stores_ha1_for_every_algorithm_with_realm_domain(store: SqliteUserStore) -> None:
    record = store.add("alice", "example.com", PASSWORD)
    assert record == UserRecord("alice", "example.com", ha1_all("alice", "example.com", PASSWORD))
    assert store.find("alice", "example.com") == record
    assert list(record.ha1) == ["MD5", "SHA-256", "SHA-512-256"]


def test_domain_is_case_insensitive_and_stored_in_lower_case(store: SqliteUserStore) -> None:
    record = store.add("alice", "Example.COM", PASSWORD)
    assert record.domain == "example.com"
    assert record.ha1 == ha1_all("alice", "example.com", PASSWORD)
    assert store.find("alice", "EXAMPLE.com") == record
    with pytest.raises(UserError, match=r"^alice@example\.com already exists$"):
        store.add("alice", "example.COM", "other")


def test_user_is_case_sensitive(store: SqliteUserStore) -> None:
    store.add("alice", "example.com", PASSWORD)
    store.add("Alice", "example.com", PASSWORD)
    assert [r.user for r in store.list()] == ["Alice", "alice"]
    assert store.find("ALICE", "example.com") is None


def test_set_password_replaces_the_hashes(store: SqliteUserStore) -> None:
    store.add("alice", "example.com", PASSWORD)
    store.set_password("alice", "example.com", "new secret")
    record = store.find("alice", "example.com")
    assert record is not None and record.ha1 == ha1_all("alice", "example.com", "new secret")


def test_set_password_of_a_missing_account(store: SqliteUserStore) -> None:
    with pytest.raises(UserError, match=r"^bob@example\.com does not exist$"):
        store.set_password("bob", "example.com", PASSWORD)


def test_remove(store: SqliteUserStore) -> None:
    store.add("alice", "example.com", PASSWORD)
    store.remove("alice", "EXAMPLE.com")
    assert store.find("alice", "example.com") is None
    assert not store.exists("alice", "example.com")
    with pytest.raises(UserError, match=r"^alice@example\.com does not exist$"):
        store.remove("alice", "example.com")


def test_list_is_sorted_and_filters_by_domain(store: SqliteUserStore) -> None:
    for user, domain in [("bob", "b.example"), ("carol", "a.example"), ("alice", "b.example")]:
        store.add(user, domain, PASSWORD)
    assert [(r.user, r.domain) for r in store.list()] == [
        ("carol", "a.example"),
        ("alice", "b.example"),
        ("bob", "b.example"),
    ]
    assert [r.user for r in store.list("B.example")] == ["alice", "bob"]
    assert store.list("c.example") == []


@pytest.mark.parametrize(
    ("user", "domain", "message"),
    [
        ("a b", "example.com", "user 'a b' has characters not allowed"),
        ("a@b", "example.com", "user 'a@b' has characters not allowed"),
        ("", "example.com", "the user name is empty"),
        ("alice", "not a domain", "'not a domain' is not a hostname or IP address"),
    ],
)
def test_invalid_names(store: SqliteUserStore, user: str, domain: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        store.add(user, domain, PASSWORD)
    with pytest.raises(UserError, match=message):
        store.set_password(user, domain, PASSWORD)
    with pytest.raises(UserError, match=message):
        store.remove(user, domain)


def test_empty_password_is_refused(store: SqliteUserStore) -> None:
    with pytest.raises(UserError, match=r"^the password is empty$"):
        store.add("alice", "example.com", "")
    assert not store.exists("alice", "example.com")


def test_bad_list_domain(store: SqliteUserStore) -> None:
    with pytest.raises(UserError, match="is not a hostname or IP address"):
        store.list("bad domain")


def test_password_never_reaches_the_database_file(tmp_path: Path) -> None:
    with SqliteUserStore.open(tmp_path) as store:
        store.add("alice", "example.com", PASSWORD)
        store.set_password("alice", "example.com", "second-Secret-42")
        store.add("bob", "example.com", "third-Secret-43")
        store.remove("bob", "example.com")
    data = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"alice" in data
    for secret in (PASSWORD, "second-Secret-42", "third-Secret-43"):
        assert secret.encode() not in data


def test_get_user_is_the_async_credential_store(store: SqliteUserStore) -> None:
    store.add("alice", "example.com", PASSWORD)
    credentials: CredentialStore = store
    record = asyncio.run(credentials.get_user("alice", "Example.com"))
    assert record == store.find("alice", "example.com")
    assert asyncio.run(credentials.get_user("bob", "example.com")) is None


def test_disabled_accounts_are_not_returned(tmp_path: Path) -> None:
    with SqliteUserStore.open(tmp_path) as store:
        store.add("alice", "example.com", PASSWORD)
    conn = connect(tmp_path / DB_NAME)
    conn.execute("UPDATE users SET enabled = 0")
    store = SqliteUserStore(conn)
    assert store.find("alice", "example.com") is None
    assert store.exists("alice", "example.com")
    assert [r.user for r in store.list()] == ["alice"]
    store.close()  # a borrowed connection stays open
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
    conn.close()


def test_survives_reopen(tmp_path: Path) -> None:
    with SqliteUserStore.open(tmp_path) as store:
        added = store.add("alice", "example.com", PASSWORD)
    with SqliteUserStore.open(tmp_path) as store:
        assert store.find("alice", "example.com") == added
        assert store.list() == [added]


def test_timestamps(tmp_path: Path, clock: Clock) -> None:
    with SqliteUserStore.open(tmp_path, clock=clock) as store:
        store.add("alice", "example.com", PASSWORD)
        clock.now += 90.5
        store.set_password("alice", "example.com", "other")
    conn = sqlite3.connect(tmp_path / DB_NAME)
    try:
        row = conn.execute("SELECT created, updated, enabled FROM users").fetchone()
    finally:
        conn.close()
    assert row == (1_700_000_000, 1_700_000_090, 1)


def test_schema_version_is_recorded(tmp_path: Path) -> None:
    SqliteUserStore.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    try:
        assert conn.execute(
            "SELECT version FROM schema_version WHERE component = 'users'"
        ).fetchone() == (1,)
    finally:
        conn.close()
