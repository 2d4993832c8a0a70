"""Stateless nonces: issue, check, expiry, forgery, realm binding (auth/nonce.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from sipwarden.auth.nonce import HmacSha256, NonceCheck, Nonces
from sipwarden.errors import LocalError

from .helpers import NOW, REALM, SECRET, FakeRandom

TTL = 300.0


def nonces(secret: bytes = SECRET) -> Nonces:
    return Nonces(secret, TTL, FakeRandom())


def test_fresh_nonce_is_ok_and_reports_its_expiry() -> None:
    n = nonces()
    nonce = n.issue(REALM, NOW)
    assert n.check(nonce, REALM, NOW) == NonceCheck("ok", NOW + TTL)
    assert n.check(nonce, REALM, NOW + TTL - 0.01).status == "ok"


def test_nonce_is_stale_at_its_expiry() -> None:
    n = nonces()
    nonce = n.issue(REALM, NOW)
    assert n.check(nonce, REALM, NOW + TTL) == NonceCheck("stale", NOW + TTL)
    assert n.check(nonce, REALM, NOW + 10 * TTL).status == "stale"


def test_nonce_from_far_in_the_future_is_stale_but_slight_skew_is_ok() -> None:
    n = nonces()
    nonce = n.issue(REALM, NOW)
    assert n.check(nonce, REALM, NOW - 2.0).status == "ok"  # another worker's clock is behind
    assert n.check(nonce, REALM, NOW - TTL).status == "stale"  # the clock went back a lot


def test_nonces_are_fresh_each_time_and_header_safe() -> None:
    n = nonces()
    issued = {n.issue(REALM, NOW) for _ in range(50)}
    assert len(issued) == 50
    for nonce in issued:
        assert len(nonce) == 48
        assert set(nonce) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_nonce_from_another_realm_is_invalid_domains_compare_case_insensitively() -> None:
    n = nonces()
    nonce = n.issue(REALM, NOW)
    assert n.check(nonce, "other.example.com", NOW).status == "invalid"
    assert n.check(nonce, "EXAMPLE.com", NOW).status == "ok"


def test_nonce_from_another_secret_is_invalid() -> None:
    nonce = nonces(b"another secret of 16+ bytes").issue(REALM, NOW)
    assert nonces().check(nonce, REALM, NOW) == NonceCheck("invalid", 0.0)


def _flip(nonce: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(nonce))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("index", [0, 7, 8, 19, 20, 35])  # time, random and MAC bytes
def test_tampered_nonce_is_invalid(index: int) -> None:
    n = nonces()
    nonce = n.issue(REALM, NOW)
    assert n.check(_flip(nonce, index), REALM, NOW).status == "invalid"


def test_extending_the_lifetime_by_editing_the_time_is_invalid() -> None:
    n = nonces()
    old = n.issue(REALM, NOW)
    raw = bytearray(base64.urlsafe_b64decode(old))
    raw[:8] = int((NOW + TTL) * 1000).to_bytes(8, "big")
    forged = base64.urlsafe_b64encode(bytes(raw)).decode()
    assert n.check(forged, REALM, NOW + TTL + 1).status == "invalid"


@pytest.mark.parametrize(
    "nonce",
    ["", "abc", "x" * 48, "=" * 48, "é" * 48, "A" * 47 + "\x00", "A" * 64, "A" * 48 + "=="],
)
def test_garbage_is_invalid(nonce: str) -> None:
    assert nonces().check(nonce, REALM, NOW).status == "invalid"


def test_other_spellings_of_the_same_bytes_are_invalid() -> None:
    """b64decode skips unknown characters and urlsafe decoding accepts "+" and "/" too: a second
    spelling of one nonce would get a second nonce-count row (a replay)."""
    n = nonces()
    nonce = n.issue(REALM, NOW)
    standard = base64.b64encode(base64.urlsafe_b64decode(nonce)).decode()
    variants = [nonce[:24] + "\n" + nonce[24:], " " + nonce, nonce + "."]
    if standard != nonce:
        variants.append(standard)
    for variant in variants:
        assert n.check(variant, REALM, NOW).status == "invalid", variant


def _made_by_hand(random: bytes, now: float = NOW, realm: str = REALM) -> tuple[bytes, str]:
    """The raw bytes of a nonce as the module docstring describes them, and their base64url
    spelling by the base64 module."""
    stamp = int(now * 1000).to_bytes(8, "big")
    mac = hmac.new(SECRET, stamp + random + realm.encode(), "sha256").digest()[:16]
    raw = stamp + random + mac
    return raw, base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("seed", range(20))
def test_nonces_are_the_documented_bytes_in_base64url(seed: int) -> None:
    """Issue writes, and check reads, exactly what the base64 module would (random blocks
    chosen so that "-" and "_" turn up in the text)."""
    random = hashlib.sha256(bytes([seed])).digest()[:12]
    raw, text = _made_by_hand(random)
    assert Nonces(SECRET, TTL, lambda n: random).issue(REALM, NOW) == text
    assert nonces().check(text, REALM, NOW) == NonceCheck("ok", NOW + TTL)
    assert base64.urlsafe_b64decode(text) == raw


def test_randomness_comes_from_the_argument() -> None:
    source = FakeRandom()
    Nonces(SECRET, TTL, source).issue(REALM, NOW)
    assert source.calls == 1


def test_bad_arguments() -> None:
    with pytest.raises(LocalError):
        Nonces(b"short", TTL)
    with pytest.raises(LocalError):
        Nonces(SECRET, 0.0)
    with pytest.raises(LocalError):
        Nonces(SECRET, TTL, lambda n: b"\x00" * (n - 1)).issue(REALM, NOW)


@pytest.mark.parametrize("key_size", [16, 32, 63, 64, 65, 200])
@pytest.mark.parametrize("message", [b"", b"x", bytes(range(256)) * 3])
def test_the_keyed_mac_is_rfc2104_hmac_sha256(key_size: int, message: bytes) -> None:
    key = bytes((7 * i + 3) % 256 for i in range(key_size))
    mac = HmacSha256(key)
    assert mac.digest(message) == hmac.digest(key, message, "sha256")
    assert mac.digest(message) == mac.digest(message)  # the primed states are never consumed
