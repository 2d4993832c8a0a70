"""Bounded memory: a flood of (spoofed) sources or account names cannot grow state without
bound; the least recently used entries are evicted."""

from __future__ import annotations

from sipwarden.security.windows import DistinctLog, Lru, SlidingLog
from tests.unit.security.helpers import T0, shield


def test_tracked_addresses_are_capped() -> None:
    s = shield(max_tracked=100)
    for n in range(5000):
        s.check_request(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", "OPTIONS", None, T0)
    assert len(s._sources) == 100
    assert s._sources.evicted == 4900


def test_eviction_takes_the_least_recently_used_address() -> None:
    s = shield(max_tracked=2, flood={"options": 2})
    s.check_request("192.0.2.1", "OPTIONS", None, T0)
    s.check_request("192.0.2.1", "OPTIONS", None, T0)
    s.check_request("192.0.2.2", "OPTIONS", None, T0)
    s.check_request("192.0.2.1", "INVITE", None, T0)  # touches .1
    s.check_request("192.0.2.3", "OPTIONS", None, T0)  # evicts .2, keeps .1
    assert "192.0.2.1" in s._sources and "192.0.2.2" not in s._sources
    assert not s.check_request("192.0.2.1", "OPTIONS", None, T0).allowed


def test_account_failure_counters_are_capped() -> None:
    s = shield(max_tracked=50)
    for n in range(1000):
        s.auth_failed("192.0.2.1" if n % 2 else "192.0.2.2", f"user{n}@x", "r", T0)
    assert len(s._accounts) == 50


def test_sliding_log_holds_at_most_limit_plus_one() -> None:
    log = SlidingLog(5, 10.0)
    counts = [log.add(T0) for _ in range(100)]
    assert counts[:7] == [1, 2, 3, 4, 5, 6, 6]
    assert len(log._times) == 6
    assert log.count(T0 + 9.999) == 6 and log.count(T0 + 10) == 0


def test_distinct_log_holds_at_most_limit_keys() -> None:
    log = DistinctLog(3, 10.0)
    assert [log.add(str(n), T0) for n in range(10)] == [1, 2, 3, 3, 3, 3, 3, 3, 3, 3]


def test_lru_cap() -> None:
    lru: Lru[str, list[int]] = Lru(2, list)
    lru.get("a").append(1)
    lru.get("b")
    lru.get("a")
    lru.get("c")
    assert list(lru) == ["a", "c"] and lru.peek("a") == [1] and lru.evicted == 1


def test_undrained_drop_events_are_capped_and_counted() -> None:
    s = shield(max_events=10)
    s.ban("192.0.2.1", None, "x", T0)
    for _ in range(100):
        s.check_request("192.0.2.1", "OPTIONS", None, T0)
    assert len(s._events) == 10
    assert s.events_lost == 91
    assert s.counts["drop.banned"] == 100
