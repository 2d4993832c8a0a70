"""The TTL cache: expiry, negative caps and the LRU bound (time is an argument)."""

from __future__ import annotations

from sipwarden.dns.cache import DnsCache


def test_entry_lives_until_its_expiry() -> None:
    cache = DnsCache()
    expires = cache.expiry(60, now=1000.0)
    cache.put("example.com", "A", ("192.0.2.1",), expires)
    entry = cache.get("example.com", "A", now=1059.9)
    assert entry is not None and entry.records == ("192.0.2.1",)
    assert cache.get("example.com", "A", now=1060.0) is None
    assert len(cache) == 0  # the expired entry was dropped


def test_ttl_caps() -> None:
    cache = DnsCache(max_ttl=3600, max_negative_ttl=30)
    assert cache.expiry(86400 * 7, now=0.0) == 3600
    assert cache.expiry(900, now=0.0, negative=True) == 30
    assert cache.expiry(-5, now=10.0) == 10.0


def test_negative_entry_is_an_empty_tuple() -> None:
    cache = DnsCache()
    cache.put("nx.example.com", "NAPTR", (), cache.expiry(10, 0.0, negative=True))
    entry = cache.get("nx.example.com", "NAPTR", now=5.0)
    assert entry is not None and entry.records == ()


def test_least_recently_used_goes_first() -> None:
    cache = DnsCache(max_entries=2)
    cache.put("a", "A", (1,), 100.0)
    cache.put("b", "A", (2,), 100.0)
    assert cache.get("a", "A", now=0.0) is not None  # a is now the most recent
    cache.put("c", "A", (3,), 100.0)
    assert cache.get("b", "A", now=0.0) is None
    assert cache.get("a", "A", now=0.0) is not None
    assert cache.get("c", "A", now=0.0) is not None
