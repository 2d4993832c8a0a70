"""RFC 3261 §16.3: one test per check, in the order issue #5 fixes (Max-Forwards first)."""

from __future__ import annotations

from sipwarden.proxy import (
    ProxyConfig,
    ProxyIdentity,
    ReplyKind,
    Target,
    branch_for,
    forward_copy,
    is_loop,
    preprocess,
    validate,
)
from sipwarden.sip import Request

from .helpers import INTERFACES, UDP4, identity, is_self, make_request

CONFIG = ProxyConfig()


def check(request: Request, config: ProxyConfig = CONFIG) -> tuple[int, ReplyKind] | None:
    reply = validate(request, identity(), config)
    return None if reply is None else (reply.status, reply.kind)


def test_a_good_request_passes() -> None:
    assert check(make_request()) is None


def test_max_forwards_zero_is_483() -> None:
    assert check(make_request(max_forwards=0)) == (483, ReplyKind.REJECT)


def test_max_forwards_is_checked_before_anything_else() -> None:
    bad = make_request(uri="tel:+15551234", max_forwards=0, extra="Proxy-Require: nope\n")
    assert check(bad) == (483, ReplyKind.REJECT)


def test_options_with_max_forwards_zero_may_be_answered_by_us() -> None:
    assert check(make_request("OPTIONS", max_forwards=0)) == (483, ReplyKind.OPTIONS_MAY_ANSWER)


def test_max_forwards_one_passes_and_absent_passes() -> None:
    assert check(make_request(max_forwards=1)) is None
    assert check(make_request(max_forwards=None)) is None


def test_an_ack_is_never_answered() -> None:
    assert check(make_request("ACK", max_forwards=0)) == (483, ReplyKind.DROP)


def test_bad_syntax_is_400() -> None:
    request = make_request(extra="Max-Forwards: 12\n")  # a second Max-Forwards
    assert check(request) == (400, ReplyKind.REJECT)
    request = make_request()
    request.set_header("CSeq", "abc INVITE")
    assert check(request) == (400, ReplyKind.REJECT)


def test_unknown_uri_scheme_is_416() -> None:
    assert check(make_request(uri="tel:+15551234")) == (416, ReplyKind.REJECT)
    assert check(make_request(uri="mailto:bob@example.com")) == (416, ReplyKind.REJECT)
    assert check(make_request(uri="sips:bob@proxy.example.com")) is None


def test_allowed_schemes_are_configurable() -> None:
    config = ProxyConfig(allowed_schemes=("sip", "sips", "tel"))
    assert check(make_request(uri="tel:+15551234"), config) is None


def test_unsupported_proxy_require_is_420_with_unsupported() -> None:
    request = make_request(extra="Proxy-Require: foo, bar\n")
    reply = validate(request, identity(), ProxyConfig(proxy_require_supported=frozenset({"bar"})))
    assert reply is not None
    assert (reply.status, reply.headers) == (420, (("Unsupported", "foo"),))


def test_supported_proxy_require_passes() -> None:
    config = ProxyConfig(proxy_require_supported=frozenset({"foo"}))
    assert check(make_request(extra="Proxy-Require: foo\n"), config) is None


def come_back(request: Request, target: str) -> Request:
    """Forward `request` to `target` and bring it back as the next hop would send it to us."""
    me = identity()
    branch = branch_for(request, me, 0)
    copy = forward_copy(
        preprocess(request, me), Target(target), me, CONFIG,
        branch=branch, inbound=UDP4, outbound=UDP4,
    )  # fmt: skip
    copy.push_via("SIP/2.0/UDP relay.example.net;branch=z9hG4bKrelay1")
    return copy


def test_a_request_that_comes_back_unchanged_is_a_loop_482() -> None:
    request = make_request(uri="sip:bob@foreign.example")
    looped = come_back(request, "sip:bob@foreign.example")
    assert check(looped) == (482, ReplyKind.REJECT)


def test_a_spiral_with_the_same_call_id_and_a_new_request_uri_passes() -> None:
    request = make_request(uri="sip:bob@proxy.example.com")
    spiral = come_back(request, "sip:bob-office@proxy.example.com")
    assert spiral.call_id == request.call_id
    assert check(spiral) is None


def test_a_forged_branch_without_our_secret_is_not_a_loop() -> None:
    request = make_request(uri="sip:bob@foreign.example")
    looped = come_back(request, "sip:bob@foreign.example")
    other = ProxyIdentity(INTERFACES, is_self, b"another-secret-of-16-bytes")
    assert not is_loop(looped, other)


def test_only_vias_with_our_sent_by_are_checked() -> None:
    request = make_request(uri="sip:bob@foreign.example")
    looped = come_back(request, "sip:bob@foreign.example")
    elsewhere = identity("proxy2.example.net")
    assert not is_loop(looped, elsewhere)
