"""The auth results are values: equal and hashed by their fields, with a readable repr."""

from __future__ import annotations

from sipwarden.auth.compute import DigestInput
from sipwarden.auth.nonce import NonceCheck
from sipwarden.auth.outcome import Authenticated, Challenged, Failed
from sipwarden.auth.store import UserRecord


def test_values_compare_and_hash_by_their_fields() -> None:
    pairs = [
        (Failed(False, "bad_password"), Failed(stale=False, reason="bad_password")),
        (
            Authenticated("alice", "example.com", "MD5", "n", 1, 10.0),
            Authenticated("alice", "example.com", "MD5", "n", 1, 10.0),
        ),
        (
            Challenged(401, "Unauthorized", (("A", "b"),)),
            Challenged(401, "Unauthorized", (("A", "b"),)),
        ),
        (NonceCheck("ok", 1.0), NonceCheck("ok", 1.0)),
        (
            DigestInput("REGISTER", "sip:x", "n"),
            DigestInput("REGISTER", "sip:x", "n", None, None, None, b""),
        ),
        (UserRecord("alice", "x", {"MD5": "h"}), UserRecord("alice", "x", {"MD5": "h"})),
    ]
    for a, b in pairs:
        assert a == b and hash(a) == hash(b)


def test_values_differ_when_a_field_does() -> None:
    assert Failed(True, "bad_password") != Failed(False, "bad_password")
    assert Failed(False, "unknown_user") != Failed(False, "bad_password")
    base = Authenticated("alice", "example.com", "MD5", "n", 1, 10.0)
    assert base != Authenticated("alice", "example.com", "MD5", "n", 2, 10.0)
    assert NonceCheck("ok", 1.0) != NonceCheck("stale", 1.0)
    assert DigestInput("REGISTER", "sip:x", "n", qop="auth") != DigestInput(
        "REGISTER", "sip:x", "n"
    )
    assert UserRecord("alice", "x") != UserRecord("alice", "x", {"MD5": "h"})
    assert Failed(False, "bad_password") != ("bad_password",)


def test_repr_shows_the_fields() -> None:
    assert repr(Failed(True, "stale_nonce")) == "Failed(stale=True, reason='stale_nonce')"
    assert repr(NonceCheck("ok", 1.0)) == "NonceCheck(status='ok', expires=1.0)"
    assert "user='alice'" in repr(Authenticated("alice", "x", "MD5", "n", 1, 1.0))
    assert "headers=()" in repr(Challenged(401, "Unauthorized", ()))
    assert "qop='auth'" in repr(DigestInput("REGISTER", "sip:x", "n", qop="auth"))
    assert UserRecord("alice", "x").ha1 == {}
