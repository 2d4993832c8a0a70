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
