"""Stateless server nonces (RFC 7616 §3.3 "nonce", §5.4; RFC 3261 §22.4).

How this works: a nonce is base64url (no padding) of

    issued (8 bytes, big-endian milliseconds of wall-clock time)
    | random (12 bytes)
    | HMAC-SHA256(secret, issued | random | realm)[:16]

so the server needs no table to know that it issued a nonce, for which realm and when: it
recomputes the MAC. RFC 7616 §3.3 suggests exactly this shape (a time stamp plus a hash of it
with a private key). A nonce is "stale" once `ttl` seconds have passed since it was issued: the
MAC is good, the client only needs a fresh nonce, not a new password (RFC 7616 §3.3 "stale").
Anything else (bad encoding, wrong length, a MAC that does not match, another realm) is
"invalid". Replay within the lifetime is stopped by the nonce-count store (nonce_counts.py).

`now` and the randomness are passed in (STYLE 1): os.urandom is only a default argument.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import re
import struct
from collections.abc import Callable
from typing import ClassVar, Final, Literal

from sipwarden.errors import LocalError
from sipwarden.value import Value

NonceStatus = Literal["ok", "stale", "invalid"]

_TIME = struct.Struct(">Q")
_RANDOM_SIZE = 12
_MAC_SIZE = 16
_RAW_SIZE = _TIME.size + _RANDOM_SIZE + _MAC_SIZE  # 36 bytes -> 48 base64url characters
_MIN_SECRET = 16
# Exactly the base64url alphabet: b64decode would skip other characters (and urlsafe decoding
# also takes "+" and "/"), letting two spellings name one nonce and dodge the nonce-count check.
# 36 bytes are 12 whole base64 groups, so the 48 characters have no padding and no spare bits.
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{48}")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class NonceCheck(Value):
    """The verdict on a nonce: `status`, and when it expires (0.0 for an invalid one).

    A value (equal by its fields); a `Value` rather than a frozen dataclass because one is
    made per authenticated request (see sipwarden/value.py).
    """

    __slots__ = ("expires", "status")
    _names: ClassVar[tuple[str, ...]] = ("status", "expires")
    status: Final[NonceStatus]
    expires: Final[float]

    def __init__(self, status: NonceStatus, expires: float) -> None:
        self.status = status
        self.expires = expires

    def _fields(self) -> tuple[object, ...]:
        return (self.status, self.expires)


class HmacSha256:
    """HMAC-SHA256 under one key (RFC 2104), keyed once.

    `hmac.digest(key, m, "sha256")` looks the algorithm up by name and keys a fresh OpenSSL
    context on every call (about 1.5 us; three MACs go into every REGISTER); copying an HMAC
    object keyed at start gives the same bytes for about two thirds of that.
    """

    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, message: bytes) -> bytes:
        """The 32-byte MAC of `message`."""
        mac = self._keyed.copy()
        mac.update(message)
        return mac.digest()


class Nonces:
    """Issues and checks nonces for one secret and lifetime (`ttl`, seconds)."""

    __slots__ = ("_hmac", "_random_bytes", "_ttl")

    def __init__(
        self,
        secret: bytes,
        ttl: float,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if len(secret) < _MIN_SECRET:
            raise LocalError(f"the nonce secret needs at least {_MIN_SECRET} bytes")
        if not ttl > 0:
            raise LocalError("the nonce lifetime must be positive")
        self._hmac = HmacSha256(secret)
        self._ttl = ttl
        self._random_bytes = random_bytes

    def issue(self, realm: str, now: float) -> str:
        """A fresh nonce for `realm`, issued at `now` (wall-clock seconds)."""
        random = self._random_bytes(_RANDOM_SIZE)
        if len(random) != _RANDOM_SIZE:
            raise LocalError("random_bytes returned the wrong number of bytes")
        stamp = _TIME.pack(max(0, round(now * 1000)))
        raw = stamp + random + self._mac(stamp, random, realm)
        # = base64.urlsafe_b64encode(raw) in one C call; 36 bytes need no padding to strip.
        return binascii.b2a_base64(raw, newline=False).translate(_TO_URLSAFE).decode("ascii")

    def check(self, nonce: str, realm: str, now: float) -> NonceCheck:
        """Whether `nonce` is one we issued for `realm` and is still fresh at `now`.

        A nonce dated further in the future than one lifetime (the clock went back a lot) is
        treated as stale, so the client gets a fresh one instead of an error.
        """
        raw = _decode(nonce)
        if raw is None:
            return NonceCheck("invalid", 0.0)
        stamp, random, mac = _split(raw)
        if not hmac.compare_digest(mac, self._mac(stamp, random, realm)):
            return NonceCheck("invalid", 0.0)
        issued = _TIME.unpack(stamp)[0] / 1000
        expires = issued + self._ttl
        fresh = now < expires and issued - now < self._ttl
        return NonceCheck("ok" if fresh else "stale", expires)

    def _mac(self, stamp: bytes, random: bytes, realm: str) -> bytes:
        # The realm is a domain name here: compared case-insensitively (RFC 3261 §19.1.4).
        message = stamp + random + realm.lower().encode("utf-8", "surrogateescape")
        return self._hmac.digest(message)[:_MAC_SIZE]


def _decode(nonce: str) -> bytes | None:
    """The raw bytes of a nonce of ours, or None when it cannot be one."""
    if _NONCE_RE.fullmatch(nonce) is None:
        return None
    try:
        # = base64.urlsafe_b64decode without its Python-level argument handling.
        raw = binascii.a2b_base64(nonce.encode("ascii").translate(_FROM_URLSAFE))
    except (binascii.Error, ValueError):  # pragma: no cover - the regex admits only valid text
        return None
    return raw if len(raw) == _RAW_SIZE else None


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    random_end = _TIME.size + _RANDOM_SIZE
    return raw[: _TIME.size], raw[_TIME.size : random_end], raw[random_end:]
