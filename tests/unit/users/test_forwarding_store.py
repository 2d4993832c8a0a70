"""The forwarding table: set, get, clear, list; target checks and bare-user expansion."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipwarden.storage.sqlite import connect, database_path
from sipwarden.users import SqliteUserStore, UserError
from sipwarden.users.forwarding import (
    Forwarding,
    ForwardingEntry,
    ForwardingError,
    SqliteForwardingStore,
    forward_target,
)

NOW = 1_700_000_000.0


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(database_path(tmp_path))
    yield connection
    connection.close()


@pytest.fixture
def store(conn: sqlite3.Connection) -> SqliteForwardingStore:
    return SqliteForwardingStore(conn, clock=lambda: NOW)


def get(store: SqliteForwardingStore, user: str, domain: str) -> Forwarding | None:
    return asyncio.run(store.get(user, domain))


def test_nothing_stored_is_none(store: SqliteForwardingStore) -> None:
    assert get(store, "alice", "example.com") is None
    assert store.list() == []


def test_set_then_get(store: SqliteForwardingStore) -> None:
    forwarding = Forwarding(busy="sip:vm@example.com", no_answer="tel:+15551234", no_answer_after=9)
    assert store.set("alice", "example.com", forwarding) == forwarding
    assert get(store, "alice", "example.com") == forwarding
    assert get(store, "alice", "EXAMPLE.com") == forwarding
    assert get(store, "Alice", "example.com") is None  # the user part is case-sensitive


def test_set_replaces_the_whole_row(store: SqliteForwardingStore) -> None:
    store.set("alice", "example.com", Forwarding(always="sip:bob@example.com"))
    store.set("alice", "Example.COM", Forwarding(busy="sip:vm@example.com"))
    assert get(store, "alice", "example.com") == Forwarding(busy="sip:vm@example.com")
    assert len(store.list()) == 1


def test_bare_users_are_expanded_in_the_users_domain(store: SqliteForwardingStore) -> None:
    stored = store.set(
        "alice",
        "Example.com",
        Forwarding(always="bob", busy="carol@Other.example", unregistered="voice%20mail"),
    )
    assert stored == Forwarding(
        always="sip:bob@example.com",
        busy="sip:carol@other.example",
        unregistered="sip:voice%20mail@example.com",
    )
    assert get(store, "alice", "example.com") == stored


def test_ipv6_domain_is_bracketed() -> None:
    assert forward_target("bob", "2001:db8::1") == "sip:bob@[2001:db8::1]"


def test_ip_domains_match_in_any_form(store: SqliteForwardingStore) -> None:
    store.set("alice", "[2001:DB8::1]", Forwarding(busy="bob"))
    expected = Forwarding(busy="sip:bob@[2001:db8::1]")
    assert get(store, "alice", "2001:db8:0::1") == expected
    assert get(store, "alice", "[2001:db8::1]") == expected
    assert store.list("[2001:db8::1]")[0].domain == "2001:db8::1"
    assert store.clear("alice", "[2001:db8::1]") is True


def test_a_forwarding_without_targets_clears(store: SqliteForwardingStore) -> None:
    store.set("alice", "example.com", Forwarding(busy="sip:vm@example.com"))
    store.set("alice", "example.com", Forwarding(no_answer_after=30))
    assert get(store, "alice", "example.com") is None


def test_clear(store: SqliteForwardingStore) -> None:
    store.set("alice", "example.com", Forwarding(busy="sip:vm@example.com"))
    assert store.clear("alice", "EXAMPLE.COM") is True
    assert store.clear("alice", "example.com") is False
    assert get(store, "alice", "example.com") is None


def test_list_sorted_by_domain_then_user(store: SqliteForwardingStore) -> None:
    target = Forwarding(busy="sip:vm@example.com")
    for user, domain in (("bob", "b.example"), ("alice", "b.example"), ("zed", "a.example")):
        store.set(user, domain, target)
    assert store.list() == [
        ForwardingEntry("zed", "a.example", target),
        ForwardingEntry("alice", "b.example", target),
        ForwardingEntry("bob", "b.example", target),
    ]
    assert [e.user for e in store.list("B.example")] == ["alice", "bob"]


def test_updated_is_written(store: SqliteForwardingStore, conn: sqlite3.Connection) -> None:
    store.set("alice", "example.com", Forwarding(busy="sip:vm@example.com"))
    assert conn.execute("SELECT updated FROM forwarding").fetchone() == (int(NOW),)


def test_shares_the_database_with_users(conn: sqlite3.Connection) -> None:
    users = SqliteUserStore(conn)
    forwarding = SqliteForwardingStore(conn)
    users.add("alice", "example.com", "pw")
    forwarding.set("alice", "example.com", Forwarding(busy="sip:vm@example.com"))
    users.remove("alice", "example.com")  # the users table knows nothing of forwarding
    assert forwarding.clear("alice", "example.com") is True
    versions = dict(conn.execute("SELECT component, version FROM schema_version").fetchall())
    assert versions["forwarding"] == 1


def test_migration_runs_once(conn: sqlite3.Connection) -> None:
    SqliteForwardingStore(conn).set("a", "example.com", Forwarding(busy="sip:vm@example.com"))
    assert get(SqliteForwardingStore(conn), "a", "example.com") is not None


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://example.com/", "busy target 'http://example.com/' is not a SIP, SIPS or tel URI"),
        ("sip:vm@example.com?Subject=x", "busy target 'sip:vm@example.com?Subject=x' has URI"),
        ("sip:", "busy target 'sip:': "),
        ("", "busy target '': the user name is empty"),
        ("a b", "busy target 'a b': user 'a b' has characters not allowed"),
        ("bob@bad_host", "busy target 'bob@bad_host': 'bad_host' is not a hostname"),
    ],
)
def test_bad_targets(target: str, message: str) -> None:
    with pytest.raises(ForwardingError) as caught:
        Forwarding(busy=target)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, UserError)


@pytest.mark.parametrize(
    "target", ["sip:bob@example.com", "SIPS:bob@example.com:5061;transport=tls", "tel:+1-555-0100"]
)
def test_good_uris_are_kept_as_written(target: str) -> None:
    assert forward_target(target, "example.com") == target


@pytest.mark.parametrize("after", [0, -1, 3601])
def test_no_answer_after_range(after: int) -> None:
    with pytest.raises(ForwardingError, match="no-answer delay must be 1 to 3600 seconds"):
        Forwarding(no_answer="sip:vm@example.com", no_answer_after=after)


def test_no_answer_after_must_be_an_integer() -> None:
    with pytest.raises(ForwardingError, match="whole seconds"):
        Forwarding(no_answer_after=True)


@pytest.mark.parametrize(
    "forwarding",
    [
        Forwarding(always="alice"),
        Forwarding(busy="sip:alice@EXAMPLE.com"),
        Forwarding(unregistered="sips:alice@example.com"),
    ],
)
def test_forwarding_to_oneself_is_refused(
    store: SqliteForwardingStore, forwarding: Forwarding
) -> None:
    with pytest.raises(ForwardingError, match=r"is alice@example\.com itself"):
        store.set("alice", "example.com", forwarding)


def test_bad_names(store: SqliteForwardingStore) -> None:
    with pytest.raises(UserError, match="is not a hostname"):
        store.set("alice", "bad_domain", Forwarding(busy="sip:vm@example.com"))


def test_describe() -> None:
    assert Forwarding().describe() == "no forwarding"
    assert Forwarding().empty
    forwarding = Forwarding(
        always="sip:a@x",
        busy="sip:b@x",
        no_answer="sip:c@x",
        no_answer_after=7,
        unregistered="tel:+1",
    )
    assert forwarding.describe() == (
        "always -> sip:a@x, busy -> sip:b@x, no-answer after 7s -> sip:c@x, unregistered -> tel:+1"
    )
