"""Which URIs are ours (RFC 3261 §16.4, §10.3 step 1) and which Contact points at us."""

from __future__ import annotations

import pytest

from sipwarden.server.locality import Locality
from sipwarden.sip import parse_uri
from sipwarden.sip.hosts import normalize_host

LOCALITY = Locality.build(
    ["Example.COM"], [("192.0.2.10", 5060), ("0.0.0.0", 5080), ("::", 5061)], ["198.51.100.7"]
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("[::1]", "::1"), ("[2001:DB8::0:1]", "2001:db8::1"), ("Example.Com.", "example.com")],
)
def test_normalize_host(host: str, expected: str) -> None:
    assert normalize_host(host) == expected


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("sip:alice@example.com", True),
        ("sip:alice@EXAMPLE.com:5999", True),  # the port does not matter for locality
        ("sips:alice@192.0.2.10", True),
        ("sip:198.51.100.7", True),  # an interface address behind the wildcard listener
        ("sip:alice@example.org", False),
        ("sip:alice@0.0.0.0", False),  # the wildcard is not an address of ours
        ("tel:+15551234567", False),
    ],
)
def test_is_local(uri: str, local: bool) -> None:
    assert LOCALITY.is_local(parse_uri(uri)) is local


@pytest.mark.parametrize(
    ("uri", "is_self"),
    [
        ("sip:alice@192.0.2.10", True),  # default port 5060 is a listener
        ("sip:alice@192.0.2.10:5060", True),
        ("sip:alice@192.0.2.10:5070", False),  # a phone on the same host, another port
        ("sip:alice@198.51.100.7:5080", True),  # wildcard listener on 5080
        ("sip:alice@example.com", True),  # served domain, default port
        ("sip:alice@example.com:6000", False),
        ("sips:alice@example.com", True),  # 5061 via the IPv6 wildcard listener
        ("sip:alice@example.org", False),
        ("tel:+15551234567", False),
    ],
)
def test_is_self(uri: str, is_self: bool) -> None:
    assert LOCALITY.is_self(parse_uri(uri)) is is_self


def test_a_member_that_normalizes_to_something_else_is_not_matched_as_written() -> None:
    """Members are compared after normalizing the host; the shortcut for hosts written exactly
    as a member holds only for members that normalizing leaves alone."""
    odd = Locality(frozenset({"[a.example]"}), frozenset(), frozenset())
    assert odd.is_domain("[a.example]") is False  # normalizes to "a.example", not a member
    assert odd.is_domain("[[a.example]]") is True
    plain = Locality(frozenset({"a.example"}), frozenset({"::1"}), frozenset())
    assert plain.is_domain("a.example") and plain.is_domain("A.Example.")
    assert plain.is_domain("::1") and plain.is_domain("[0:0::1]")


def test_derived_sets_do_not_change_equality_or_repr() -> None:
    again = Locality.build(
        ["example.com"], [("192.0.2.10", 5060), ("0.0.0.0", 5080), ("::", 5061)], ["198.51.100.7"]
    )
    assert again == LOCALITY and hash(again) == hash(LOCALITY)
    assert repr(again) == (
        f"Locality(domains={again.domains!r}, addresses={again.addresses!r},"
        f" sockets={again.sockets!r})"
    )
