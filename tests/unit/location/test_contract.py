"""The LocationStore contract, run against every store (see conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from sipwarden.errors import LocalError
from sipwarden.location import Binding, LocationStore

T = TypeVar("T")
NOW = 1_700_000_000.0
ALICE = "sip:alice@example.com"
BOB = "sip:bob@example.com"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def b(aor: str, contact: str, expires_at: float, **fields: Any) -> Binding:
    return Binding(aor, contact, expires_at, **fields)


def put(store: LocationStore, *bindings: Binding, now: float = NOW) -> None:
    """Replace the sets of the bindings' AoRs with `bindings`."""
    for aor in {x.aor for x in bindings}:
        run(store.update(aor, replace_with([x for x in bindings if x.aor == aor]), now))


def replace_with(new: list[Binding]) -> Callable[[list[Binding]], tuple[None, list[Binding]]]:
    return lambda _current: (None, new)


def contacts(bindings: list[Binding]) -> list[str]:
    return [x.contact for x in bindings]


def test_lookup_orders_by_q_then_most_recent_and_skips_expired(store: LocationStore) -> None:
    put(
        store,
        b(ALICE, "sip:low@h", NOW + 100, q=0.1),
        b(ALICE, "sip:none-old@h", NOW + 100, registered_at=NOW - 50),
        b(ALICE, "sip:none-new@h", NOW + 100, registered_at=NOW - 10),
        b(ALICE, "sip:high@h", NOW + 100, q=0.9),
        b(ALICE, "sip:gone@h", NOW + 10, q=1.0),
    )
    found = run(store.lookup(ALICE, NOW + 10))
    assert contacts(found) == ["sip:none-new@h", "sip:none-old@h", "sip:high@h", "sip:low@h"]
    assert run(store.lookup(BOB, NOW)) == []


def test_every_field_round_trips(store: LocationStore) -> None:
    full = b(ALICE, "sip:alice@192.0.2.1:5060;transport=tcp", NOW + 60.5, q=0.25,
             call_id="c@h", cseq=7, path=("<sip:e1;lr>", "<sip:e2;lr>"),
             source="tcp:[2001:db8::1]:5060", instance="<urn:uuid:1>", reg_id=2,
             user_agent="Phone/1 (ünïcode)", registered_at=NOW - 1.25)  # fmt: skip
    bare = b(ALICE, "mailto:alice@example.com", NOW + 60)
    put(store, full, bare)
    assert sorted(run(store.lookup(ALICE, NOW)), key=lambda x: x.contact) == [bare, full]


def test_update_is_read_modify_write_and_returns_the_result(store: LocationStore) -> None:
    put(store, b(ALICE, "sip:old@h", NOW + 100), b(ALICE, "sip:stale@h", NOW + 5))
    seen: list[list[Binding]] = []

    def change(current: list[Binding]) -> tuple[str, list[Binding]]:
        seen.append(current)
        return "done", [*current, b(ALICE, "sip:new@h", NOW + 200)]

    assert run(store.update(ALICE, change, NOW + 10)) == "done"
    assert [contacts(x) for x in seen] == [["sip:old@h"]]  # unexpired only
    assert contacts(run(store.lookup(ALICE, NOW + 10))) == ["sip:new@h", "sip:old@h"]


def test_update_keeps_changes_and_drops_in_one_set(store: LocationStore) -> None:
    """Refreshed, unchanged, removed and new bindings in one update; a contact whose stored
    binding had expired is bound again, and the AoR's other expired binding is gone."""
    put(
        store,
        b(ALICE, "sip:refresh@h", NOW + 100, cseq=1),
        b(ALICE, "sip:same@h", NOW + 100, cseq=1),
        b(ALICE, "sip:drop@h", NOW + 100),
        b(ALICE, "sip:again@h", NOW + 5),
        b(ALICE, "sip:expired@h", NOW + 5),
        b(BOB, "sip:bob@h", NOW + 5),
    )

    def change(current: list[Binding]) -> tuple[None, list[Binding]]:
        same = next(x for x in current if x.contact == "sip:same@h")
        return None, [
            b(ALICE, "sip:refresh@h", NOW + 300, cseq=2, call_id="c2", registered_at=NOW),
            same,
            b(ALICE, "sip:again@h", NOW + 400, q=0.5),
            b(ALICE, "sip:new@h", NOW + 500, path=("<sip:p;lr>",)),
        ]

    run(store.update(ALICE, change, NOW + 10))
    found = sorted(run(store.lookup(ALICE, NOW + 10)), key=lambda x: x.contact)
    assert found == [
        b(ALICE, "sip:again@h", NOW + 400, q=0.5),
        b(ALICE, "sip:new@h", NOW + 500, path=("<sip:p;lr>",)),
        b(ALICE, "sip:refresh@h", NOW + 300, cseq=2, call_id="c2", registered_at=NOW),
        b(ALICE, "sip:same@h", NOW + 100, cseq=1),
    ]
    # Only BOB's expired binding is left to expire: ALICE's went with her old set.
    assert contacts(run(store.expire(NOW + 10))) == ["sip:bob@h"]


def test_update_to_an_empty_set_removes_the_aor(store: LocationStore) -> None:
    put(store, b(ALICE, "sip:a@h", NOW + 100), b(BOB, "sip:b@h", NOW + 100))
    run(store.update(ALICE, lambda current: (len(current), []), NOW))
    assert run(store.lookup(ALICE, NOW)) == []
    assert contacts(run(store.all(NOW))) == ["sip:b@h"]


def test_update_that_raises_writes_nothing(store: LocationStore) -> None:
    put(store, b(ALICE, "sip:a@h", NOW + 100))

    def boom(current: list[Binding]) -> tuple[None, list[Binding]]:
        raise RuntimeError("registrar bug")

    with pytest.raises(RuntimeError):
        run(store.update(ALICE, boom, NOW))
    assert contacts(run(store.lookup(ALICE, NOW))) == ["sip:a@h"]


@pytest.mark.parametrize(
    "bad",
    [
        [b(BOB, "sip:b@h", NOW + 100)],  # another AoR
        [b(ALICE, "sip:a@h", NOW + 100), b(ALICE, "sip:a@h", NOW + 200)],  # a contact twice
    ],
)
def test_update_refuses_an_inconsistent_set(store: LocationStore, bad: list[Binding]) -> None:
    put(store, b(ALICE, "sip:keep@h", NOW + 100))
    with pytest.raises(LocalError):
        run(store.update(ALICE, lambda _current: (None, bad), NOW))
    assert contacts(run(store.lookup(ALICE, NOW))) == ["sip:keep@h"]
    assert run(store.lookup(BOB, NOW)) == []


def test_expire_removes_on_time_and_reports_next_expiry(store: LocationStore) -> None:
    assert run(store.next_expiry()) is None
    first = b(ALICE, "sip:a@h", NOW + 10)
    second = b(BOB, "sip:b@h", NOW + 20)
    last = b(ALICE, "sip:c@h", NOW + 30)
    put(store, first, second, last)
    assert run(store.next_expiry()) == NOW + 10
    assert run(store.expire(NOW + 9.999)) == []
    assert run(store.expire(NOW + 20)) == [first, second]  # at expires_at it is gone
    assert run(store.next_expiry()) == NOW + 30
    assert run(store.expire(NOW + 20)) == []
    assert run(store.lookup(ALICE, NOW)) == [last]
    assert run(store.expire(NOW + 1000)) == [last]
    assert run(store.next_expiry()) is None


def test_all_filters_by_prefix_and_limit(store: LocationStore) -> None:
    put(
        store,
        b(BOB, "sip:b@h", NOW + 100),
        b(ALICE, "sip:a2@h", NOW + 100, q=0.5),
        b(ALICE, "sip:a1@h", NOW + 100, q=0.8),
        b("sip:alina@example.com", "sip:x@h", NOW + 100),
        b("sip:al%25@example.com", "sip:y@h", NOW + 100),
        b("sip:zed@example.com", "sip:z@h", NOW + 1),
        b("sip:\u00e9mile@example.com", "sip:e@h", NOW + 100),
        b("sip:\U0001f600@example.com", "sip:s@h", NOW + 100),
    )
    everything = run(store.all(NOW + 1))
    assert [(x.aor, x.contact) for x in everything] == [
        ("sip:al%25@example.com", "sip:y@h"),
        (ALICE, "sip:a1@h"),
        (ALICE, "sip:a2@h"),
        ("sip:alina@example.com", "sip:x@h"),
        (BOB, "sip:b@h"),
        ("sip:\u00e9mile@example.com", "sip:e@h"),
        ("sip:\U0001f600@example.com", "sip:s@h"),
    ]
    alis = ["sip:a1@h", "sip:a2@h", "sip:x@h"]
    assert contacts(run(store.all(NOW + 1, prefix="sip:ali"))) == alis
    assert contacts(run(store.all(NOW + 1, prefix="sip:al%"))) == ["sip:y@h"]
    assert contacts(run(store.all(NOW + 1, prefix="sip:al_"))) == []
    assert contacts(run(store.all(NOW + 1, limit=2))) == ["sip:y@h", "sip:a1@h"]
    assert run(store.all(NOW + 1, limit=0)) == []


def test_remove_one_contact_or_the_whole_aor(store: LocationStore) -> None:
    put(store, b(ALICE, "sip:a1@h", NOW + 100), b(ALICE, "sip:a2@h", NOW + 100),
        b(BOB, "sip:b@h", NOW + 100))  # fmt: skip
    assert run(store.remove(ALICE, "sip:a1@h")) == 1
    assert run(store.remove(ALICE, "sip:nope@h")) == 0
    assert contacts(run(store.lookup(ALICE, NOW))) == ["sip:a2@h"]
    assert run(store.remove(BOB)) == 1
    assert run(store.remove(BOB)) == 0
    assert contacts(run(store.all(NOW))) == ["sip:a2@h"]


def test_count_skips_expired(store: LocationStore) -> None:
    assert run(store.count(NOW)) == 0
    put(store, b(ALICE, "sip:a@h", NOW + 100), b(ALICE, "sip:c@h", NOW + 5),
        b(BOB, "sip:b@h", NOW + 100))  # fmt: skip
    assert run(store.count(NOW)) == 3
    assert run(store.count(NOW + 5)) == 2
