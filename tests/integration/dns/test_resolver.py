"""SipResolver against a DNS server the test starts on 127.0.0.1 (RFC 3263, RFC 2782, RFC 2308)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest

from sipwarden.dns.cache import DnsCache
from sipwarden.dns.resolver import SipResolver
from sipwarden.dns.targets import Candidate
from sipwarden.sip import parse_uri
from sipwarden.transport.address import Address
from tests.integration.conftest import run
from tests.integration.dns.dnsserver import DnsServer, Zone, dns_server

pytestmark = pytest.mark.timeout(5)

ZONE: Zone = {
    # example.com: NAPTR -> SRV -> A/AAAA, TLS preferred, then TCP, then UDP (RFC 3263 §4.1).
    ("example.com", "NAPTR"): (
        300,
        [
            '50 50 "s" "SIPS+D2T" "" _sips._tcp.example.com.',
            '90 50 "s" "SIP+D2T" "" _sip._tcp.example.com.',
            '100 50 "s" "SIP+D2U" "" _sip._udp.example.com.',
        ],
    ),
    ("_sips._tcp.example.com", "SRV"): (300, ["0 0 5061 proxy.example.com."]),
    ("_sip._tcp.example.com", "SRV"): (300, ["0 0 5060 proxy.example.com."]),
    ("_sip._udp.example.com", "SRV"): (300, ["0 0 5060 proxy.example.com."]),
    ("proxy.example.com", "A"): (30, ["192.0.2.10"]),
    ("proxy.example.com", "AAAA"): (30, ["2001:db8::10"]),
    # example.net: SRV only, two priorities, weights 80/20 in the first (RFC 2782).
    ("_sip._udp.example.net", "SRV"): (
        300,
        [
            "10 80 5060 big.example.net.",
            "10 20 5062 small.example.net.",
            "20 0 5070 backup.example.net.",
        ],
    ),
    ("big.example.net", "A"): (300, ["198.51.100.1"]),
    ("small.example.net", "A"): (300, ["198.51.100.2"]),
    ("backup.example.net", "A"): (300, ["198.51.100.3"]),
    # example.org: A only.
    ("example.org", "A"): (300, ["203.0.113.5"]),
}


class Clock:
    """A fake monotonic clock: tests move it forward by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def resolving(
    zone: Zone = ZONE,
    *,
    clock: Clock | None = None,
    seed: int = 1,
    negative_ttl: int = 60,
    silent: Iterable[str] = (),
) -> AsyncIterator[tuple[SipResolver, DnsServer]]:
    async with dns_server(zone, negative_ttl=negative_ttl, silent=silent) as dns:
        resolver = SipResolver(
            nameservers=[("127.0.0.1", dns.port)],
            timeout=0.3,
            clock=clock or Clock(),
            random=random.Random(seed).randint,
            hosts_fallback=False,  # loopback only: never ask the system's resolver
        )
        yield resolver, dns


def within(body: Callable[[], Coroutine[Any, Any, None]]) -> None:
    run(body(), timeout=2.0)


def where(found: list[Candidate]) -> list[tuple[str, str, int]]:
    return [(c.transport, c.ip, c.port) for c in found]


async def candidates(resolver: SipResolver, text: str) -> list[Candidate]:
    return await resolver.candidates(parse_uri(text))


# ----- the three shapes of a zone ----------------------------------------------------------------
def test_naptr_then_srv_then_a_and_aaaa() -> None:
    async def body() -> None:
        async with resolving() as (resolver, dns):
            found = await candidates(resolver, "sip:alice@example.com")
            assert where(found) == [
                ("TLS", "192.0.2.10", 5061),
                ("TLS", "2001:db8::10", 5061),
                ("TCP", "192.0.2.10", 5060),
                ("TCP", "2001:db8::10", 5060),
                ("UDP", "192.0.2.10", 5060),
                ("UDP", "2001:db8::10", 5060),
            ]
            assert {c.host for c in found} == {"proxy.example.com"}
            assert dns.count("example.com", "NAPTR") == 1
            assert dns.count("proxy.example.com") == 2  # A and AAAA, once for three SRV sets
            address = await resolver.resolve(parse_uri("sip:alice@example.com"))
            assert address == Address("TLS", "192.0.2.10", 5061)

    within(body)


def test_sips_uri_takes_only_the_tls_records() -> None:
    async def body() -> None:
        async with resolving() as (resolver, _):
            found = await candidates(resolver, "sips:alice@example.com")
            assert where(found) == [("TLS", "192.0.2.10", 5061), ("TLS", "2001:db8::10", 5061)]

    within(body)


def test_srv_only_zone() -> None:
    async def body() -> None:
        async with resolving() as (resolver, dns):
            found = await candidates(resolver, "sip:bob@example.net")
            assert found[-1] == Candidate("UDP", "backup.example.net", "198.51.100.3", 5070, 1300.0)
            assert {c.ip for c in found[:2]} == {"198.51.100.1", "198.51.100.2"}
            assert dns.count("example.net", "NAPTR") == 1
            assert dns.count("_sip._tcp.example.net", "SRV") == 1  # probed, none there

    within(body)


def test_a_only_zone_means_udp_5060() -> None:
    async def body() -> None:
        async with resolving() as (resolver, _):
            found = await candidates(resolver, "sip:carol@example.org")
            assert where(found) == [("UDP", "203.0.113.5", 5060)]
            found = await candidates(resolver, "sip:carol@example.org;transport=tcp")
            assert where(found) == [("TCP", "203.0.113.5", 5060)]
            found = await candidates(resolver, "sips:carol@example.org:5999")
            assert where(found) == [("TLS", "203.0.113.5", 5999)]

    within(body)


def test_ip_literals_and_localhost_never_reach_dns() -> None:
    async def body() -> None:
        async with resolving() as (resolver, dns):
            found = await candidates(resolver, "sip:192.0.2.1:5070;transport=tcp")
            assert where(found) == [("TCP", "192.0.2.1", 5070)]
            address = await resolver.resolve(parse_uri("sip:bob@[::1]"))
            assert address == Address("UDP", "::1", 5060)
            address = await resolver.resolve(parse_uri("sip:bob@localhost:5080"))
            assert address is not None and address.port == 5080
            assert address.host in ("127.0.0.1", "::1")
            assert await resolver.resolve(parse_uri("tel:+4930123")) is None
            assert dns.queries == []

    within(body)


# ----- SRV priority, weights and failover --------------------------------------------------------
def test_priority_orders_and_weights_spread() -> None:
    async def body() -> None:
        async with resolving() as (resolver, dns):
            firsts = {"big.example.net": 0, "small.example.net": 0}
            for _ in range(400):
                found = await candidates(resolver, "sip:example.net;transport=udp")
                assert (
                    found[2].host == "backup.example.net"
                )  # priority 20 after both of priority 10
                firsts[found[0].host] += 1
            assert 0.7 < firsts["big.example.net"] / 400 < 0.9  # weight 80 of 100
            assert dns.count("_sip._udp.example.net") == 1  # the rest came from the cache

    within(body)


class Answering(asyncio.DatagramProtocol):
    """A SIP UDP peer that answers every request with one status code."""

    def __init__(self, status: int, seen: list[int]) -> None:
        self.status, self.seen = status, seen
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is no subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.seen.append(self.status)
        assert self.transport is not None
        self.transport.sendto(f"SIP/2.0 {self.status} X\r\n\r\n".encode(), addr)


def answering(status: int, seen: list[int]) -> Callable[[], Answering]:
    return lambda: Answering(status, seen)


async def ask(address: Address) -> int | None:
    """Send one request and wait 0.2 s for a status: None on silence (a §4.3 timeout)."""
    loop = asyncio.get_running_loop()
    replies: asyncio.Queue[bytes] = asyncio.Queue()

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            replies.put_nowait(data)

    transport, _ = await loop.create_datagram_endpoint(
        Client, remote_addr=(address.host, address.port)
    )
    try:
        transport.sendto(b"OPTIONS sip:x@example.com SIP/2.0\r\n\r\n")
        async with asyncio.timeout(0.2):
            return int((await replies.get()).split()[1])
    except TimeoutError:
        return None
    finally:
        transport.close()


def test_srv_failover_walks_the_candidates_in_order() -> None:
    """RFC 3263 §4.3: a 503 or no answer moves to the next record, until one answers."""

    async def body() -> None:
        loop = asyncio.get_running_loop()
        seen: list[int] = []
        peers = [
            await loop.create_datagram_endpoint(
                answering(status, seen), local_addr=("127.0.0.1", 0)
            )
            for status in (503, 200)
        ]
        silent, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        busy, ok = (int(t.get_extra_info("sockname")[1]) for t, _ in peers)
        mute = int(silent.get_extra_info("sockname")[1])
        zone: Zone = {
            ("_sip._udp.trunk.test", "SRV"): (
                60,
                [
                    f"10 0 {busy} gw1.trunk.test.",
                    f"20 0 {mute} gw2.trunk.test.",
                    f"30 0 {ok} gw3.trunk.test.",
                ],
            ),
            ("gw1.trunk.test", "A"): (60, ["127.0.0.1"]),
            ("gw2.trunk.test", "A"): (60, ["127.0.0.1"]),
            ("gw3.trunk.test", "A"): (60, ["127.0.0.1"]),
        }
        try:
            async with resolving(zone) as (resolver, _):
                found = await candidates(resolver, "sip:+4930123@trunk.test")
                assert [c.host for c in found] == [
                    "gw1.trunk.test",
                    "gw2.trunk.test",
                    "gw3.trunk.test",
                ]
                outcomes = []
                for candidate in found:
                    status = await ask(candidate.address)
                    outcomes.append(status)
                    if status is not None and status != 503:
                        break
                assert outcomes == [503, None, 200]
                assert seen == [503, 200]
        finally:
            silent.close()
            for transport, _ in peers:
                transport.close()

    within(body)


# ----- caching ---------------------------------------------------------------------------------
def test_answers_are_cached_until_their_ttl_runs_out() -> None:
    async def body() -> None:
        clock = Clock()
        async with resolving(clock=clock) as (resolver, dns):
            first = await candidates(resolver, "sip:example.com")
            asked = len(dns.queries)
            assert first[0].expires == 1030.0  # the A record's 30 s, the shortest on the chain
            assert await candidates(resolver, "sip:example.com") == first
            assert len(dns.queries) == asked  # all from the cache
            clock.now += 31  # the A/AAAA (TTL 30) expired, the NAPTR and SRV (300) did not
            await candidates(resolver, "sip:example.com")
            assert dns.queries[asked:] == [
                ("proxy.example.com", "A"),
                ("proxy.example.com", "AAAA"),
            ]
            clock.now += 300
            await candidates(resolver, "sip:example.com")
            assert dns.count("example.com", "NAPTR") == 2

    within(body)


def test_nxdomain_is_cached_for_the_soa_minimum() -> None:
    async def body() -> None:
        clock = Clock()
        async with resolving(clock=clock, negative_ttl=10) as (resolver, dns):
            assert await candidates(resolver, "sip:nobody@nx.example.com") == []
            assert dns.count("nx.example.com") == 3  # NAPTR, A, AAAA
            assert dns.count("_sip._udp.nx.example.com", "SRV") == 1
            asked = len(dns.queries)
            assert await resolver.resolve(parse_uri("sip:nx.example.com")) is None
            assert len(dns.queries) == asked
            clock.now += 10
            assert await resolver.resolve(parse_uri("sip:nx.example.com")) is None
            assert len(dns.queries) == 2 * asked

    within(body)


def test_no_data_answers_are_cached_too() -> None:
    async def body() -> None:
        async with resolving() as (resolver, dns):
            await candidates(resolver, "sip:example.org")
            await candidates(resolver, "sip:example.org")
            assert dns.count("example.org", "NAPTR") == 1  # the name exists, no NAPTR
            assert dns.count("example.org", "AAAA") == 1

    within(body)


def test_a_dns_timeout_gives_no_candidates_and_is_not_cached() -> None:
    async def body() -> None:
        async with resolving(silent={"slow.example.com"}) as (resolver, dns):
            assert await candidates(resolver, "sip:slow.example.com:5060") == []
            assert await candidates(resolver, "sip:slow.example.com:5060") == []
            assert dns.count("slow.example.com", "A") >= 2

    within(body)


def test_concurrent_lookups_share_one_query() -> None:
    async def body() -> None:
        async with resolving() as (resolver, dns):
            uri = parse_uri("sip:example.com")
            a, b = await asyncio.gather(resolver.candidates(uri), resolver.candidates(uri))
            assert where(a) == where(b)
            assert dns.count("example.com", "NAPTR") == 1
            assert dns.count("proxy.example.com", "A") == 1

    within(body)


def test_cache_is_bounded() -> None:
    async def body() -> None:
        async with dns_server(ZONE) as dns:
            resolver = SipResolver(
                nameservers=[("127.0.0.1", dns.port)],
                cache=DnsCache(max_entries=2),
                timeout=0.3,
                hosts_fallback=False,
            )
            await resolver.candidates(parse_uri("sip:example.org:5060"))
            assert len(resolver.cache) == 2  # A and AAAA
            await resolver.candidates(parse_uri("sip:proxy.example.com:5060"))
            assert len(resolver.cache) == 2

    within(body)
