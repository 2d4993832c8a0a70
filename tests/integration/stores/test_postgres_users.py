"""Accounts and call forwarding in PostgreSQL: the behaviour of the SQLite stores
(tests/unit/users/), versioned migrations, and two nodes sharing one database."""

from __future__ import annotations

import pytest

from sipwarden.auth.hashes import ha1_all
from sipwarden.auth.store import CredentialStore, UserRecord
from sipwarden.storage.postgres import Database, migrate
from sipwarden.users import UserError
from sipwarden.users.directory import ForwardingDirectory, UserDirectory
from sipwarden.users.forwarding import Forwarding, ForwardingEntry, ForwardingError
from sipwarden.users.postgres import (
    USERS_MIGRATIONS,
    PostgresForwardingStore,
    PostgresUserStore,
)
from tests.integration.stores.conftest import Loop

PASSWORD = "correct horse battery staple"
NOW = 1_700_000_000.0


@pytest.fixture
def users(loop: Loop, database: Database) -> PostgresUserStore:
    return loop.run(PostgresUserStore.open(database, clock=lambda: NOW))


@pytest.fixture
def forwarding(loop: Loop, database: Database) -> PostgresForwardingStore:
    return loop.run(PostgresForwardingStore.open(database, clock=lambda: NOW))


def test_add_find_and_the_credential_store(loop: Loop, users: PostgresUserStore) -> None:
    record = loop.run(users.add("alice", "Example.COM", PASSWORD))
    assert record == UserRecord("alice", "example.com", ha1_all("alice", "example.com", PASSWORD))
    assert loop.run(users.find("alice", "EXAMPLE.com")) == record
    credentials: CredentialStore = users
    assert loop.run(credentials.get_user("alice", "example.com")) == record
    assert loop.run(credentials.get_user("ALICE", "example.com")) is None
    with pytest.raises(UserError, match=r"^alice@example\.com already exists$"):
        loop.run(users.add("alice", "example.com", "other"))


def test_set_password_remove_and_errors(loop: Loop, users: PostgresUserStore) -> None:
    loop.run(users.add("alice", "example.com", PASSWORD))
    loop.run(users.set_password("alice", "example.com", "new secret"))
    record = loop.run(users.find("alice", "example.com"))
    assert record is not None and record.ha1 == ha1_all("alice", "example.com", "new secret")
    with pytest.raises(UserError, match=r"^bob@example\.com does not exist$"):
        loop.run(users.set_password("bob", "example.com", PASSWORD))
    loop.run(users.remove("alice", "EXAMPLE.com"))
    assert not loop.run(users.exists("alice", "example.com"))
    with pytest.raises(UserError, match=r"^alice@example\.com does not exist$"):
        loop.run(users.remove("alice", "example.com"))
    with pytest.raises(UserError, match=r"^the password is empty$"):
        loop.run(users.add("alice", "example.com", ""))
    with pytest.raises(UserError, match="has characters not allowed"):
        loop.run(users.add("a b", "example.com", PASSWORD))


def test_list_is_in_byte_order_and_filters_by_domain(loop: Loop, users: PostgresUserStore) -> None:
    for user, domain in [("bob", "b.example"), ("carol", "a.example"), ("alice", "b.example"),
                         ("Alice", "b.example")]:  # fmt: skip
        loop.run(users.add(user, domain, PASSWORD))
    assert [(r.user, r.domain) for r in loop.run(users.list())] == [
        ("carol", "a.example"),
        ("Alice", "b.example"),
        ("alice", "b.example"),
        ("bob", "b.example"),
    ]
    assert [r.user for r in loop.run(users.list("B.example"))] == ["Alice", "alice", "bob"]
    assert loop.run(users.list("c.example")) == []


def test_disabled_accounts_exist_but_are_not_found(
    loop: Loop, users: PostgresUserStore, database: Database
) -> None:
    loop.run(users.add("alice", "example.com", PASSWORD))
    loop.run(database.execute("UPDATE users SET enabled = FALSE"))
    assert loop.run(users.find("alice", "example.com")) is None
    assert loop.run(users.exists("alice", "example.com"))


def test_migrations_are_versioned_and_run_once(loop: Loop, database: Database) -> None:
    loop.run(PostgresUserStore.open(database))
    loop.run(PostgresUserStore.open(database))  # nothing re-run: CREATE TABLE would fail
    assert loop.run(migrate(database, "users", USERS_MIGRATIONS)) == 1
    rows = loop.run(database.fetch("SELECT component, version FROM schema_version"))
    assert rows == [("users", 1)]


def test_two_nodes_share_the_accounts(
    loop: Loop, postgres_url: str, schema: str, users: PostgresUserStore
) -> None:
    other_db = loop.run(Database.open(postgres_url, schema=schema))
    try:
        other = loop.run(PostgresUserStore.open(other_db))
        record = loop.run(users.add("alice", "example.com", PASSWORD))
        assert loop.run(other.get_user("alice", "example.com")) == record
    finally:
        loop.run(other_db.close())


def test_both_stores_offer_the_async_directories(
    users: PostgresUserStore, forwarding: PostgresForwardingStore
) -> None:
    directory: UserDirectory = users
    settings: ForwardingDirectory = forwarding
    assert directory is users and settings is forwarding


def test_forwarding_set_get_clear_list(loop: Loop, forwarding: PostgresForwardingStore) -> None:
    assert loop.run(forwarding.get("alice", "example.com")) is None
    stored = loop.run(forwarding.set("alice", "Example.com", Forwarding(always="bob", busy="vm")))
    assert stored == Forwarding(always="sip:bob@example.com", busy="sip:vm@example.com")
    assert loop.run(forwarding.get("alice", "EXAMPLE.com")) == stored
    assert loop.run(forwarding.get("Alice", "example.com")) is None
    replaced = loop.run(forwarding.set("alice", "example.com", Forwarding(no_answer="tel:+1555")))
    assert loop.run(forwarding.get("alice", "example.com")) == replaced
    loop.run(forwarding.set("zed", "a.example", replaced))
    assert loop.run(forwarding.list()) == [
        ForwardingEntry("zed", "a.example", replaced),
        ForwardingEntry("alice", "example.com", replaced),
    ]
    assert [e.user for e in loop.run(forwarding.list("EXAMPLE.com"))] == ["alice"]
    assert loop.run(forwarding.clear("alice", "example.com")) is True
    assert loop.run(forwarding.clear("alice", "example.com")) is False
    loop.run(forwarding.set("zed", "a.example", Forwarding(no_answer_after=30)))  # no target
    assert loop.run(forwarding.list()) == []


def test_forwarding_to_oneself_is_refused(loop: Loop, forwarding: PostgresForwardingStore) -> None:
    with pytest.raises(ForwardingError, match="itself"):
        loop.run(forwarding.set("alice", "example.com", Forwarding(busy="alice")))
