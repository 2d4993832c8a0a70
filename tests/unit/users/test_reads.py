"""The proxy's cached callee reads (users/reads.py) answer what the stores answer, whoever
changed the database in between: the same connections, other connections to the file (another
worker, the CLI), with the state and the storage in one file or in two."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sipwarden.location import Binding
from sipwarden.location.memory import MemoryLocationStore
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.storage.sqlite import connect
from sipwarden.users.directory import AsyncSqliteForwarding, AsyncSqliteUsers
from sipwarden.users.forwarding import Forwarding, SqliteForwardingStore
from sipwarden.users.reads import CalleeReads
from sipwarden.users.store import SqliteUserStore

NOW = 1_700_000_000.0
DOMAIN = "example.com"
USERS = ("alice", "bob")


@dataclass
class Side:
    """The stores on one pair of connections (state, storage)."""

    users: SqliteUserStore
    forwarding: SqliteForwardingStore
    location: SqliteLocationStore


@contextmanager
def sides(one_file: bool) -> Iterator[tuple[Side, Side]]:
    """Ours (what the proxy reads through) and theirs (another process, the CLI)."""
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.db"
        storage = state if one_file else Path(tmp) / "storage.db"
        conns = [connect(state), connect(storage), connect(state), connect(storage)]
        made = [
            Side(SqliteUserStore(c2), SqliteForwardingStore(c2), SqliteLocationStore(c1))
            for c1, c2 in (conns[:2], conns[2:])
        ]
        try:
            yield made[0], made[1]
        finally:
            for conn in conns:
                conn.close()


def change(side: Side, op: str, user: str, value: int) -> None:
    aor = f"sip:{user}@{DOMAIN}"
    if op == "add_user" and not side.users.exists(user, DOMAIN):
        side.users.add(user, DOMAIN, "secret")
    elif op == "remove_user" and side.users.exists(user, DOMAIN):
        side.users.remove(user, DOMAIN)
    elif op == "disable":
        side.users.connection.execute("UPDATE users SET enabled = 0 WHERE user = ?", (user,))
    elif op == "forward":
        side.forwarding.set(user, DOMAIN, Forwarding(busy=f"sip:vm{value}@{DOMAIN}"))
    elif op == "unforward":
        side.forwarding.clear(user, DOMAIN)
    elif op == "bind":
        contact = f"sip:{user}@192.0.2.{value % 3}"
        binding = Binding(aor, contact, NOW + value, call_id="c", cseq=value + 1)

        def bind(current: list[Binding]) -> tuple[None, list[Binding]]:
            return None, [*(b for b in current if b.contact != contact), binding]

        asyncio.run(side.location.update(aor, bind, NOW - 100))
    elif op == "unbind":
        asyncio.run(side.location.remove(aor))


OPS = st.sampled_from(["add_user", "remove_user", "disable", "forward", "unforward", "bind",
                       "unbind", "none"])  # fmt: skip
STEPS = st.lists(
    st.tuples(st.booleans(), OPS, st.sampled_from(USERS), st.integers(0, 20), st.integers(-5, 25)),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(one_file=st.booleans(), steps=STEPS)
def test_cached_reads_answer_what_the_stores_answer(
    one_file: bool, steps: list[tuple[bool, str, str, int, int]]
) -> None:
    with sides(one_file) as (ours, theirs):
        users, forwarding = AsyncSqliteUsers(ours.users), AsyncSqliteForwarding(ours.forwarding)
        reads = CalleeReads(users, ours.location, forwarding)
        assert reads.caching

        async def check(user: str, now: float) -> None:
            aor = f"sip:{user}@{DOMAIN}"
            reads.refresh()
            exists = await users.get_user(user, DOMAIN) is not None
            assert await reads.user_exists(user, DOMAIN) == exists
            assert await reads.lookup(aor, now) == await ours.location.lookup(aor, now)
            assert await reads.forwarding_of(user, DOMAIN) == await forwarding.get(user, DOMAIN)

        for mine, op, user, value, later in steps:
            change(ours if mine else theirs, op, user, value)
            for name in USERS:  # twice: the second answer comes from the cache
                asyncio.run(check(name, NOW + later))
                asyncio.run(check(name, NOW + later))


def test_other_backends_are_read_every_time() -> None:
    with sides(True) as (ours, _):
        users, forwarding = AsyncSqliteUsers(ours.users), AsyncSqliteForwarding(ours.forwarding)
        location = MemoryLocationStore()
        reads = CalleeReads(users, location, forwarding)
        assert not reads.caching
        ours.users.add("alice", DOMAIN, "secret")
        reads.refresh()
        assert asyncio.run(reads.user_exists("alice", DOMAIN))
        ours.users.remove("alice", DOMAIN)
        reads.refresh()  # nothing kept, so nothing to forget either
        assert not asyncio.run(reads.user_exists("alice", DOMAIN))


def test_a_change_seen_by_the_stamp_empties_the_cache() -> None:
    """The cache does keep answers (the test above would pass without one)."""
    with sides(True) as (ours, theirs):
        users, forwarding = AsyncSqliteUsers(ours.users), AsyncSqliteForwarding(ours.forwarding)
        reads = CalleeReads(users, ours.location, forwarding)
        ours.users.add("alice", DOMAIN, "secret")
        reads.refresh()
        assert asyncio.run(reads.user_exists("alice", DOMAIN))
        # Removed behind the stamp's back (no refresh): the kept answer is still given.
        theirs.users.remove("alice", DOMAIN)
        assert asyncio.run(reads.user_exists("alice", DOMAIN))
        reads.refresh()
        assert not asyncio.run(reads.user_exists("alice", DOMAIN))
