"""The proxy's per-call shortcuts give what the general path gives."""

from __future__ import annotations

import pytest

from sipwarden.registrar.aor import aor_of
from sipwarden.server.proxying import _aor
from sipwarden.sip import SipUri, parse_uri


@pytest.mark.parametrize(
    ("user", "domain"),
    [
        ("alice", "example.com"),
        ("service", "127.0.0.1"),
        ("+4930123", "example.com"),  # "+" needs no SipUri either way, but is not "plain"
        ("a.b-c_d!~*'()", "sub.example-1.com"),
        ("bob smith", "example.com"),  # escaped
        ("%41lice", "example.com"),
        ("user;x", "example.com"),
        ("alice", "x"),
        ("alice", "[2001:db8::1]"),
    ],
)
def test_aor_without_a_sip_uri_equals_aor_of(user: str, domain: str) -> None:
    assert _aor(user, domain) == aor_of(SipUri(user=user, host=domain))


def test_an_ipv6_domain_gets_its_brackets_back() -> None:
    """normalize_host() strips them; the AoR is what the registrar stored for the To URI."""
    assert _aor("alice", "2001:db8::1") == aor_of(parse_uri("sip:alice@[2001:db8::1]"))
    assert _aor("alice", "::1") == "sip:alice@[::1]"
