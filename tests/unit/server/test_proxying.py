"""The proxy's per-call shortcuts give what the general path gives."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError
from sipwarden.registrar.aor import aor_of
from sipwarden.server.proxying import _aor
from sipwarden.sip import SipUri


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


def test_an_unbracketed_ipv6_host_still_takes_the_general_path() -> None:
    with pytest.raises(LocalError):
        _aor("alice", "2001:db8::1")  # an IPv6 host without brackets: not a plain name
