"""The digest hash functions and the stored HA1 (RFC 7616 §3.4.2, RFC 8760 §2).

sipwarden never stores a password: a user's record keeps HA1 = H(username ":" realm ":" password)
once per algorithm it may be challenged with. The realm is the user's SIP domain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sipwarden.errors import LocalError


def _sha512_256(data: bytes) -> str:
    return hashlib.new("sha512_256", data).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# RFC 8760 §2 names; the "-sess" variants use the same H (RFC 7616 §3.4.2).
HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": _md5,
    "SHA-256": _sha256,
    "SHA-512-256": _sha512_256,
}
ALGORITHMS = tuple(HASHES)


def digest_hash(algorithm: str, data: str) -> str:
    """H(data) as lower-case hex for `algorithm` (case-insensitive, `-sess` allowed)."""
    return hash_function(algorithm)(data.encode("utf-8"))


def hash_function(algorithm: str) -> Callable[[bytes], str]:
    """The H of RFC 7616 §3.4.2 for `algorithm`; LocalError for one we do not implement."""
    name = algorithm.upper().removesuffix("-SESS")
    try:
        return HASHES[name]
    except KeyError:
        raise LocalError(f"digest algorithm {algorithm!r} is not one of {ALGORITHMS}") from None


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """HA1 = H(username ":" realm ":" password), RFC 7616 §3.4.2 (non-sess)."""
    return digest_hash(algorithm, f"{username}:{realm}:{password}")


def ha1_all(username: str, realm: str, password: str) -> dict[str, str]:
    """The HA1 for every supported algorithm: what a user record stores."""
    return {name: ha1(name, username, realm, password) for name in ALGORITHMS}
