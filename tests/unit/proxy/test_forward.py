"""RFC 3261 §16.6 steps 1 to 8: forward_copy, branch_for, next_hop, and build_cancel (§9.1)."""

from __future__ import annotations

import pytest

from sipwarden.proxy import (
    ProxyConfig,
    Target,
    branch_for,
    build_cancel,
    forward,
    forward_copy,
    next_hop,
)
from sipwarden.proxy.identity import Flow
from sipwarden.sip import Request

from .helpers import TCP4, TLS4, UDP4, UDP6, identity, make_request

CONFIG = ProxyConfig()
BOB = Target("sip:bob@198.51.100.20:5070")


def fwd(
    request: Request,
    target: Target = BOB,
    *,
    inbound: Flow = UDP4,
    outbound: Flow = UDP4,
    config: ProxyConfig = CONFIG,
) -> Request:
    return forward_copy(
        request, target, identity(), config,
        branch="z9hG4bKsw1234.0", inbound=inbound, outbound=outbound,
    )  # fmt: skip


def test_step_1_the_received_request_is_not_changed() -> None:
    request = make_request()
    before = request.serialize()
    fwd(request)
    assert request.serialize() == before


def test_step_2_request_uri_is_the_target() -> None:
    assert fwd(make_request()).uri_text == "sip:bob@198.51.100.20:5070"


def test_step_3_max_forwards_is_decremented() -> None:
    assert fwd(make_request(max_forwards=70)).max_forwards == 69
    assert fwd(make_request(max_forwards=1)).max_forwards == 0


def test_step_3_max_forwards_is_added_with_70_when_absent() -> None:
    assert fwd(make_request(max_forwards=None)).max_forwards == 70


def test_step_4_single_record_route_on_the_same_interface() -> None:
    assert fwd(make_request()).values("record-route") == ["<sip:192.0.2.10:5060;lr>"]


def test_step_4_record_route_goes_above_existing_ones() -> None:
    request = make_request(extra="Record-Route: <sip:edge.example.net;lr>\n")
    assert fwd(request).values("record-route") == [
        "<sip:192.0.2.10:5060;lr>",
        "<sip:edge.example.net;lr>",
    ]


def test_step_4_double_record_route_when_the_transport_changes() -> None:
    copy = fwd(make_request(), inbound=UDP4, outbound=TCP4)
    assert copy.values("record-route") == [
        "<sip:192.0.2.10:5060;transport=tcp;lr>",  # what the callee reaches first
        "<sip:192.0.2.10:5060;lr>",  # what the caller reaches first
    ]


def test_step_4_double_record_route_when_the_address_family_changes() -> None:
    copy = fwd(make_request(), inbound=UDP4, outbound=UDP6)
    assert copy.values("record-route") == [
        "<sip:[2001:db8::10]:5060;lr>",
        "<sip:192.0.2.10:5060;lr>",
    ]


def test_step_4_tls_record_route_is_sips() -> None:
    copy = fwd(make_request(), inbound=TLS4, outbound=TLS4)
    assert copy.values("record-route") == ["<sips:192.0.2.10:5061;lr>"]


def test_step_4_sips_request_uri_needs_a_sips_record_route() -> None:
    copy = fwd(make_request(), Target("sips:bob@198.51.100.20"), outbound=TLS4, inbound=UDP4)
    assert copy.values("record-route")[0].startswith("<sips:")


@pytest.mark.parametrize(
    ("method", "to_tag", "config"),
    [
        ("INVITE", ";tag=xyz", CONFIG),  # in-dialog: the route set is fixed (§12.2)
        ("MESSAGE", "", CONFIG),  # creates no dialog
        ("REGISTER", "", CONFIG),
        ("INVITE", "", ProxyConfig(record_route=False)),
    ],
)
def test_step_4_no_record_route(method: str, to_tag: str, config: ProxyConfig) -> None:
    assert not fwd(make_request(method, to_tag=to_tag), config=config).has("record-route")


def test_step_5_path_values_become_routes_ahead_of_existing_ones() -> None:
    request = make_request(extra="Route: <sip:next.example.net;lr>\n")
    target = Target(BOB.uri, path=("<sip:edge1.example.net;lr;ob>", "<sip:edge2.example.net;lr>"))
    assert fwd(request, target).values("route") == [
        "<sip:edge1.example.net;lr;ob>",
        "<sip:edge2.example.net;lr>",
        "<sip:next.example.net;lr>",
    ]


def test_step_6_strict_router_next() -> None:
    request = make_request(extra="Route: <sip:strict.example.net>, <sip:loose.example.net;lr>\n")
    out = forward(
        request, BOB, identity(), CONFIG, branch="z9hG4bKsw1.0", inbound=UDP4, outbound=UDP4
    )
    assert out.request.uri_text == "sip:strict.example.net"
    assert out.request.values("route") == [
        "<sip:loose.example.net;lr>",
        "<sip:bob@198.51.100.20:5070>",
    ]
    assert str(out.next_hop) == "sip:strict.example.net"


def test_step_7_next_hop_is_the_top_route_else_the_request_uri() -> None:
    routed = fwd(make_request(extra="Route: <sip:next.example.net;lr>\n"))
    assert str(next_hop(routed)) == "sip:next.example.net;lr"
    assert str(next_hop(fwd(make_request()))) == "sip:bob@198.51.100.20:5070"


def test_step_8_our_via_on_top_with_the_branch_and_rport() -> None:
    copy = fwd(make_request(), outbound=TCP4)
    assert copy.values("via") == [
        "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKsw1234.0;rport",
        "SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8",
    ]


def test_branch_is_rfc3261_stable_and_unique_per_branch() -> None:
    request = make_request()
    me = identity()
    first = branch_for(request, me, 0)
    assert first.startswith("z9hG4bK")
    assert first == branch_for(make_request(), me, 0)  # same request, same branch (§16.11)
    assert first != branch_for(request, me, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"uri": "sip:carol@proxy.example.com"},
        {"call_id": "other@host"},
        {"top_via": "SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKother"},
        {"to_tag": ";tag=abc"},
        {"extra": "Proxy-Require: foo\n"},
    ],
)
def test_branch_hash_covers_the_step_8_fields(change: dict[str, str]) -> None:
    me = identity()
    assert branch_for(make_request(**change), me, 0) != branch_for(make_request(), me, 0)  # type: ignore[arg-type]


def test_branch_hash_ignores_max_forwards() -> None:
    me = identity()
    assert branch_for(make_request(max_forwards=5), me, 0) == branch_for(make_request(), me, 0)


def test_build_cancel_matches_the_forwarded_invite() -> None:
    sent = fwd(make_request(extra="Route: <sip:next.example.net;lr>\n"))
    cancel = build_cancel(sent)
    assert (cancel.method, cancel.uri_text) == ("CANCEL", sent.uri_text)
    assert cancel.values("via") == [sent.values("via")[0]]
    assert cancel.values("route") == ["<sip:next.example.net;lr>"]
    assert str(cancel.cseq) == "314159 CANCEL"
    assert cancel.call_id == sent.call_id
    assert cancel.header("from") == sent.header("from")
    assert cancel.header("to") == sent.header("to")
    assert cancel.max_forwards == 70
    cancel.validate()
