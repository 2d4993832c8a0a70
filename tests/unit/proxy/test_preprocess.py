"""RFC 3261 §16.4 with the §16.12.1 examples (P2 and P4 of §16.12.1.2, P2 of §16.12.1.1)."""

from __future__ import annotations

from sipwarden.proxy import ProxyConfig, Target, forward, preprocess
from sipwarden.sip import Request

from .helpers import identity, make_request, parse_request

HEAD = (
    "Via: SIP/2.0/UDP u2.domain.com;branch=z9hG4bKbye1\n"
    "Max-Forwards: 70\n"
    "From: <sip:callee@u2.domain.com>;tag=9fxced76sl\n"
    "To: <sip:caller@u1.example.com>;tag=28934\n"
    "Call-ID: 3848276298220188511@u1.example.com\n"
    "CSeq: 2 BYE\n"
    "Contact: <sip:callee@u2.domain.com>\n"
)


def bye(uri: str, routes: list[str]) -> Request:
    lines = "".join(f"Route: {r}\n" for r in routes)
    return parse_request(f"BYE {uri} SIP/2.0\n{HEAD}{lines}Content-Length: 0\n\n")


def test_16_12_1_1_loose_router_removes_its_own_route() -> None:
    request = bye("sip:callee@u2.domain.com", ["<sip:p2.domain.com;lr>"])
    done = preprocess(request, identity("p2.domain.com"))
    assert done.uri_text == "sip:callee@u2.domain.com"
    assert done.routes == []


def test_16_12_1_2_p4_pops_itself_and_rewrites_for_the_strict_router_p3() -> None:
    routes = [
        "<sip:p4.domain.com;lr>",
        "<sip:p3.middle.com>",
        "<sip:p2.example.com;lr>",
        "<sip:p1.example.com;lr>",
    ]
    me = identity("p4.domain.com")
    done = preprocess(bye("sip:caller@u1.example.com", routes), me)
    assert done.values("route") == routes[1:]
    out = forward(
        done, Target(done.uri_text), me, ProxyConfig(),
        branch="z9hG4bKx", inbound=("udp", "ipv4"), outbound=("udp", "ipv4"),
    )  # fmt: skip
    assert out.request.uri_text == "sip:p3.middle.com"
    assert out.request.values("route") == [
        "<sip:p2.example.com;lr>",
        "<sip:p1.example.com;lr>",
        "<sip:caller@u1.example.com>",
    ]
    assert str(out.next_hop) == "sip:p3.middle.com"


def test_16_12_1_2_p2_undoes_the_strict_routing() -> None:
    routes = ["<sip:p1.example.com;lr>", "<sip:caller@u1.example.com>"]
    done = preprocess(bye("sip:p2.example.com;lr", routes), identity("p2.example.com"))
    assert done.uri_text == "sip:caller@u1.example.com"
    assert done.values("route") == ["<sip:p1.example.com;lr>"]


def test_a_request_uri_for_our_domain_is_not_a_strict_route() -> None:
    request = make_request(extra="Route: <sip:edge.example.net;lr>\n")
    done = preprocess(request, identity())
    assert done.uri_text == "sip:bob@proxy.example.com"
    assert done.values("route") == ["<sip:edge.example.net;lr>"]


def test_both_double_record_route_entries_are_removed() -> None:
    extra = (
        "Route: <sip:192.0.2.10:5060;transport=tcp;lr>\n"
        "Route: <sip:192.0.2.10:5060;lr>, <sip:far.example.net;lr>\n"
    )
    done = preprocess(make_request(extra=extra), identity())
    assert done.values("route") == ["<sip:far.example.net;lr>"]


def test_a_foreign_top_route_is_kept() -> None:
    extra = "Route: <sip:far.example.net;lr>, <sip:192.0.2.10;lr>\n"
    done = preprocess(make_request(extra=extra), identity())
    assert len(done.routes) == 2


def test_maddr_naming_us_is_stripped_with_port_and_transport() -> None:
    request = make_request(uri="sip:bob@proxy.example.com:5060;maddr=192.0.2.10;transport=udp")
    assert preprocess(request, identity()).uri_text == "sip:bob@proxy.example.com"


def test_maddr_naming_someone_else_is_kept() -> None:
    uri = "sip:bob@proxy.example.com;maddr=198.51.100.7"
    assert preprocess(make_request(uri=uri), identity()).uri_text == uri


def test_the_original_request_is_untouched() -> None:
    request = make_request(extra="Route: <sip:192.0.2.10;lr>\n")
    before = request.serialize()
    preprocess(request, identity())
    assert request.serialize() == before
