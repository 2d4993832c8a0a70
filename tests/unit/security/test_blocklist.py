"""Blocklist (security/blocklist.py): expiry through the heap, stale entries, the quick answer."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sipwarden.security.blocklist import Blocklist


@dataclass(frozen=True)
class Entry:
    name: str
    until: float | None


def test_stale_heap_entries_neither_expire_records_nor_hide_due_ones() -> None:
    bans: Blocklist[Entry] = Blocklist(cap=10)
    bans.put("a", Entry("a", 10.0))
    bans.put("a", Entry("a", 50.0))  # (10, "a") stays in the heap, stale
    bans.put("b", Entry("b", 20.0))
    bans.put("c", Entry("c", 5.0))
    bans.remove("c")  # (5, "c") stale at the top
    assert bans.expired(4.0) == []
    assert bans.expired(15.0) == []
    assert bans.expired(20.0) == [Entry("b", 20.0)]
    assert bans.next_deadline() == 50.0
    assert bans.expired(60.0) == [Entry("a", 50.0)]
    assert bans.expired(1e9) == [] and len(bans) == 0


def test_expiry_agrees_with_a_plain_dict_under_random_operations() -> None:
    rng = random.Random(5)
    bans: Blocklist[Entry] = Blocklist(cap=1000)
    model: dict[str, Entry] = {}
    now = 0.0
    for _ in range(20000):
        key = f"k{rng.randrange(30)}"
        action = rng.random()
        if action < 0.45:
            entry = Entry(key, None if rng.random() < 0.1 else now + rng.uniform(0, 20))
            bans.put(key, entry)
            model[key] = entry
        elif action < 0.6:
            assert bans.remove(key) == model.pop(key, None)
        else:
            now += rng.uniform(0, 2)
            due = sorted(
                (e for e in model.values() if e.until is not None and e.until <= now),
                key=lambda e: e.until or 0.0,
            )
            got = bans.expired(now)
            assert sorted(got, key=lambda e: (e.until, e.name)) == sorted(
                due, key=lambda e: (e.until, e.name)
            )
            for entry in due:
                del model[entry.name]
        assert len(bans) == len(model)
