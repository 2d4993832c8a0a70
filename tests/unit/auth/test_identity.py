"""identity_ok: the authenticated user must be the From (To for REGISTER) identity."""

from __future__ import annotations

import pytest

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.outcome import Authenticated

from .helpers import NOW, REALM, make_auth, make_request

ALICE = Authenticated("alice", REALM, "SHA-256", "nonce", 1, NOW + 300)


@pytest.mark.parametrize(
    ("from_uri", "ok"),
    [
        ("sip:alice@example.com", True),
        ("sips:alice@EXAMPLE.com;transport=tls", True),
        ("sip:al%69ce@example.com", True),  # escapes are decoded before comparing (§19.1.4)
        ("sip:bob@example.com", False),
        ("sip:Alice@example.com", False),  # the user part is case-sensitive
        ("sip:alice@other.example.com", False),
        ("sip:example.com", False),
        ("tel:+15551234567", False),
    ],
)
def test_invite_from_must_be_the_user(from_uri: str, ok: bool) -> None:
    request = make_request(
        "INVITE", "sip:bob@example.com", from_uri=from_uri, to_uri="sip:bob@example.com"
    )
    assert make_auth().identity_ok(request, ALICE) is ok


def test_register_checks_to_not_from() -> None:
    third_party = make_request(from_uri="sip:alice@example.com", to_uri="sip:bob@example.com")
    assert make_auth().identity_ok(third_party, ALICE) is False
    for_alice = make_request(from_uri="sip:bob@example.com", to_uri="sip:alice@example.com")
    assert make_auth().identity_ok(for_alice, ALICE) is True


def test_exempt_user_may_use_any_identity() -> None:
    auth = make_auth(AuthConfig(identity_exempt=frozenset({"alice@Example.com"})))
    request = make_request(
        "INVITE", "sip:bob@example.com", from_uri="sip:+15551234567@pstn.example"
    )
    assert auth.identity_ok(request, ALICE) is True
    bob = Authenticated("bob", REALM, "MD5", "nonce", 1, NOW + 300)
    assert auth.identity_ok(request, bob) is False


def test_unparseable_from_is_not_the_user() -> None:
    request = make_request("INVITE", "sip:bob@example.com", from_uri="sip:alice@exa mple.com")
    assert make_auth().identity_ok(request, ALICE) is False
