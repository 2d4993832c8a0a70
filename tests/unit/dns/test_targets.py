"""The RFC 3263 planner: from a URI and DNS answers to the ordered candidate list."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sipwarden.dns import targets
from sipwarden.dns.targets import Candidate, Ip, Naptr, Srv, plan, srv_order, srv_queries
from sipwarden.sip import SipUri, parse_uri


def uri(text: str) -> SipUri:
    parsed = parse_uri(text)
    assert isinstance(parsed, SipUri)
    return parsed


def first(a: int, b: int) -> int:
    """A draw of 0: RFC 2782 then takes the first record (weight-0 ones first)."""
    return a


def last(a: int, b: int) -> int:
    """The highest draw: the record that completes the running sum, i.e. the last weighted."""
    return b


def draws(*values: int) -> Callable[[int, int], int]:
    """Scripted draws, checked to lie in [a, b]."""
    it: Iterator[int] = iter(values)

    def draw(a: int, b: int) -> int:
        value = next(it)
        assert a <= value <= b
        return value

    return draw


def ips(*values: str, expires: float | None = None) -> list[Ip]:
    return [Ip(v, expires) for v in values]


def where(found: Sequence[Candidate]) -> list[tuple[str, str, int]]:
    return [(c.transport, c.ip, c.port) for c in found]


NAPTRS = [
    Naptr(50, 50, "s", "SIPS+D2T", "_sips._tcp.example.com"),
    Naptr(90, 50, "s", "SIP+D2T", "_sip._tcp.example.com"),
    Naptr(100, 50, "s", "SIP+D2U", "_sip._udp.example.com"),
]
SRVS = {
    "_sips._tcp.example.com": [Srv(0, 0, 5061, "tls.example.com")],
    "_sip._tcp.example.com": [Srv(0, 0, 5060, "tcp.example.com")],
    "_sip._udp.example.com": [Srv(0, 0, 5060, "udp.example.com")],
}
ADDRS = {
    "tls.example.com": ips("192.0.2.1"),
    "tcp.example.com": ips("192.0.2.2"),
    "udp.example.com": ips("192.0.2.3"),
    "example.com": ips("192.0.2.9"),
}


# ----- numeric hosts and explicit ports: §4.1, §4.2 without DNS ----------------------------------
def test_ipv4_literal_defaults_to_udp_5060() -> None:
    assert where(plan(uri("sip:bob@192.0.2.7"), [], {}, {}, random=first)) == [
        ("UDP", "192.0.2.7", 5060)
    ]


def test_ipv6_literal_sips_is_tls_5061() -> None:
    found = plan(uri("sips:bob@[2001:db8::1]"), [], {}, {}, random=first)
    assert where(found) == [("TLS", "2001:db8::1", 5061)]
    assert found[0].host == "2001:db8::1" and found[0].expires is None


def test_literal_with_port_and_transport() -> None:
    found = plan(uri("sip:192.0.2.7:5080;transport=tcp"), NAPTRS, SRVS, ADDRS, random=first)
    assert where(found) == [("TCP", "192.0.2.7", 5080)]


def test_maddr_overrides_the_host() -> None:
    found = plan(uri("sip:bob@example.com;maddr=192.0.2.50"), NAPTRS, SRVS, ADDRS, random=first)
    assert where(found) == [("UDP", "192.0.2.50", 5060)]


def test_sips_upgrades_tcp_and_ws_and_refuses_udp() -> None:
    assert where(plan(uri("sips:192.0.2.7;transport=tcp"), [], {}, {}, random=first)) == [
        ("TLS", "192.0.2.7", 5061)
    ]
    assert where(plan(uri("sips:192.0.2.7;transport=ws"), [], {}, {}, random=first)) == [
        ("WSS", "192.0.2.7", 5061)
    ]
    assert plan(uri("sips:192.0.2.7;transport=udp"), [], {}, {}, random=first) == []


def test_name_with_port_uses_a_records_not_naptr_or_srv() -> None:
    found = plan(uri("sip:example.com:5070"), NAPTRS, SRVS, ADDRS, random=first)
    assert where(found) == [("UDP", "192.0.2.9", 5070)]
    assert srv_queries(uri("sip:example.com:5070"), NAPTRS) == []
    assert not targets.uses_naptr(uri("sip:example.com:5070"))


def test_non_sip_uri_has_no_candidates() -> None:
    assert plan(parse_uri("tel:+4930123"), NAPTRS, SRVS, ADDRS, random=first) == []


# ----- NAPTR: §4.1 ---------------------------------------------------------------------------
def test_naptr_order_then_preference_gives_the_transport_order() -> None:
    found = plan(uri("sip:example.com"), reversed(NAPTRS), SRVS, ADDRS, random=first)
    assert where(found) == [
        ("TLS", "192.0.2.1", 5061),
        ("TCP", "192.0.2.2", 5060),
        ("UDP", "192.0.2.3", 5060),
    ]
    assert [c.host for c in found] == ["tls.example.com", "tcp.example.com", "udp.example.com"]


def test_naptr_preference_breaks_ties_within_an_order() -> None:
    records = [
        Naptr(10, 20, "S", "SIP+D2U", "_sip._udp.example.com"),
        Naptr(10, 10, "S", "SIP+D2T", "_sip._tcp.example.com"),
    ]
    found = plan(uri("sip:example.com"), records, SRVS, ADDRS, random=first)
    assert [c.transport for c in found] == ["TCP", "UDP"]


def test_naptr_drops_unsupported_services_and_non_s_flags() -> None:
    records = [
        Naptr(1, 1, "s", "SIP+D2S", "_sip._sctp.example.com"),
        Naptr(2, 1, "a", "SIP+D2T", "tcp.example.com"),
        Naptr(3, 1, "s", "E2U+sip", "_sip._tcp.example.com"),
        *NAPTRS,
    ]
    found = plan(
        uri("sip:example.com"), records, SRVS, ADDRS, random=first, supported_transports=("UDP",)
    )
    assert where(found) == [("UDP", "192.0.2.3", 5060)]


def test_sips_keeps_only_sips_services() -> None:
    found = plan(uri("sips:example.com"), NAPTRS, SRVS, ADDRS, random=first)
    assert where(found) == [("TLS", "192.0.2.1", 5061)]


def test_websocket_services() -> None:
    records = [
        Naptr(10, 10, "s", "SIPS+D2W", "_sips._ws.example.com"),
        Naptr(20, 10, "s", "SIP+D2W", "_sip._ws.example.com"),
    ]
    srvs = {
        "_sips._ws.example.com": [Srv(0, 0, 443, "ws.example.com")],
        "_sip._ws.example.com": [Srv(0, 0, 80, "ws.example.com")],
    }
    addrs = {"ws.example.com": ips("192.0.2.8")}
    found = plan(uri("sip:example.com"), records, srvs, addrs, random=first)
    assert where(found) == [("WSS", "192.0.2.8", 443), ("WS", "192.0.2.8", 80)]


def test_no_usable_naptr_falls_back_to_srv_probing() -> None:
    records = [Naptr(1, 1, "s", "SIP+D2S", "_sip._sctp.example.com")]
    queries = srv_queries(uri("sip:example.com"), records, supported=("TCP", "UDP"))
    assert [(q.transport, q.name) for q in queries] == [
        ("TCP", "_sip._tcp.example.com"),
        ("UDP", "_sip._udp.example.com"),
    ]


# ----- SRV without NAPTR, explicit transports --------------------------------------------------
def test_srv_probing_follows_our_transport_preference() -> None:
    found = plan(
        uri("sip:example.com"),
        [],
        SRVS,
        ADDRS,
        random=first,
        supported_transports=("TCP", "UDP", "TLS"),
    )
    assert [c.transport for c in found] == ["TCP", "UDP", "TLS"]


def test_srv_probing_for_sips_asks_only_sips_tcp() -> None:
    queries = srv_queries(uri("sips:example.com"), [])
    assert [q.name for q in queries] == ["_sips._tcp.example.com"]


def test_explicit_transport_queries_that_srv_only() -> None:
    assert [q.name for q in srv_queries(uri("sip:example.com;transport=tcp"), NAPTRS)] == [
        "_sip._tcp.example.com"
    ]
    assert [q.name for q in srv_queries(uri("sip:example.com;transport=tls"), [])] == [
        "_sips._tcp.example.com"
    ]
    found = plan(uri("sip:example.com;transport=tcp"), NAPTRS, SRVS, ADDRS, random=first)
    assert where(found) == [("TCP", "192.0.2.2", 5060)]


def test_explicit_transport_without_srv_uses_a_records_and_default_port() -> None:
    found = plan(uri("sip:example.com;transport=tls"), [], {}, ADDRS, random=first)
    assert where(found) == [("TLS", "192.0.2.9", 5061)]


def test_no_naptr_no_srv_means_udp_to_the_a_records() -> None:
    found = plan(
        uri("sip:Example.COM."),
        [],
        {},
        {"example.com": ips("192.0.2.9", "2001:db8::9")},
        random=first,
    )
    assert where(found) == [("UDP", "192.0.2.9", 5060), ("UDP", "2001:db8::9", 5060)]


def test_no_srv_for_sips_means_tls_5061() -> None:
    found = plan(uri("sips:example.com"), [], {}, ADDRS, random=first)
    assert where(found) == [("TLS", "192.0.2.9", 5061)]


def test_default_transport_when_udp_is_not_ours() -> None:
    found = plan(uri("sip:example.com"), [], {}, ADDRS, random=first, supported_transports=("TCP",))
    assert where(found) == [("TCP", "192.0.2.9", 5060)]


def test_srv_dot_target_means_not_available_and_no_a_fallback() -> None:
    srvs = {"_sip._udp.example.com": [Srv(0, 0, 0, "")]}
    assert plan(uri("sip:example.com;transport=udp"), [], srvs, ADDRS, random=first) == []


def test_srv_target_without_addresses_is_skipped() -> None:
    srvs = {
        "_sip._udp.example.com": [
            Srv(10, 0, 5060, "gone.example.com"),
            Srv(20, 0, 5070, "udp.example.com"),
        ]
    }
    found = plan(uri("sip:example.com;transport=udp"), [], srvs, ADDRS, random=first)
    assert where(found) == [("UDP", "192.0.2.3", 5070)]


def test_duplicates_are_removed_keeping_the_first() -> None:
    srvs = {
        "_sip._udp.example.com": [
            Srv(10, 0, 5060, "udp.example.com"),
            Srv(20, 0, 5060, "alias.example.com"),
        ]
    }
    addrs = {**ADDRS, "alias.example.com": ips("192.0.2.3")}
    found = plan(uri("sip:example.com;transport=udp"), [], srvs, addrs, random=first)
    assert where(found) == [("UDP", "192.0.2.3", 5060)]


def test_address_names_are_srv_targets_else_the_target() -> None:
    u = uri("sip:example.com")
    assert targets.address_names(u, NAPTRS, SRVS) == [
        "tls.example.com",
        "tcp.example.com",
        "udp.example.com",
    ]
    assert targets.address_names(u, NAPTRS, {}) == ["example.com"]
    assert targets.address_names(uri("sip:192.0.2.1"), [], {}) == []


# ----- SRV priority and RFC 2782 weights -----------------------------------------------------
SPREAD = [
    Srv(20, 0, 5060, "backup"),
    Srv(10, 60, 5060, "a"),
    Srv(10, 30, 5060, "b"),
    Srv(10, 10, 5060, "c"),
    Srv(10, 0, 5060, "zero"),
]


def test_priority_orders_groups() -> None:
    assert [s.target for s in srv_order(SPREAD, first)][-1] == "backup"


def test_weight_zero_first_on_a_zero_draw() -> None:
    assert [s.target for s in srv_order(SPREAD, first)] == ["zero", "a", "b", "c", "backup"]


def test_highest_draw_takes_the_last_weighted_record() -> None:
    # Sums 100, 40 (a, b, zero left: c taken), 10 ... each time the last one with weight.
    assert [s.target for s in srv_order(SPREAD, last)] == ["c", "b", "a", "zero", "backup"]


def test_running_sum_selects_by_weight() -> None:
    # Group order: zero(0) a(60) b(30) c(10); running sums 0 60 90 100.
    # Draw 61 -> b; remaining zero a c, sums 0 60 70: draw 65 -> c; then zero a: draw 1 -> a;
    # then zero alone: draw 0. Backup alone: draw 0.
    order = srv_order(SPREAD, draws(61, 65, 1, 0, 0))
    assert [s.target for s in order] == ["b", "c", "a", "zero", "backup"]


def test_weights_spread_roughly_in_proportion() -> None:
    records = [Srv(0, 75, 5060, "heavy"), Srv(0, 25, 5060, "light")]
    counts = {"heavy": 0, "light": 0}
    for value in range(101):  # every possible draw once
        counts[srv_order(records, draws(value, 0))[0].target] += 1
    assert counts == {"heavy": 76, "light": 25}


# ----- expiry ---------------------------------------------------------------------------------
def test_candidate_expires_with_its_earliest_record() -> None:
    naptr = [Naptr(1, 1, "s", "SIP+D2U", "_sip._udp.example.com", expires=300.0)]
    srvs = {"_sip._udp.example.com": [Srv(0, 0, 5060, "udp.example.com", expires=100.0)]}
    addrs = {"udp.example.com": ips("192.0.2.3", expires=200.0)}
    found = plan(uri("sip:example.com"), naptr, srvs, addrs, random=first)
    assert found == [Candidate("UDP", "udp.example.com", "192.0.2.3", 5060, 100.0)]
    assert str(found[0].address) == "udp:192.0.2.3:5060"


# ----- purity -----------------------------------------------------------------------------------
def test_targets_imports_no_io_clock_or_randomness() -> None:
    tree = ast.parse(Path(targets.__file__).read_text())
    names = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    names |= {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    assert not names & {"asyncio", "socket", "time", "random", "dns"}
