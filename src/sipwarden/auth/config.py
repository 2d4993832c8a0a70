"""What the digest authenticator offers: algorithms, qop, nonce lifetime, identity exemptions.

The `[auth]` table of the configuration file (checked by `sipwarden.config` with file and line)
maps onto `AuthConfig` key for key (docs/auth.md). The object checks itself too, so one built
in code cannot be wrong either.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sipwarden.auth.hashes import ALGORITHMS
from sipwarden.errors import LocalError

SESS_SUFFIX = "-sess"
QOP_VALUES = ("auth", "auth-int")  # RFC 7616 §3.3, RFC 3261 §25.1 qop-value
# The algorithm names we can be asked for: RFC 8760 §2 names and their "-sess" variants (§3.4.2).
KNOWN_ALGORITHMS = (*ALGORITHMS, *(f"{name}{SESS_SUFFIX}" for name in ALGORITHMS))
_CANONICAL = {name.upper(): name for name in KNOWN_ALGORITHMS}


def canonical_algorithm(name: str) -> str | None:
    """The algorithm's canonical spelling ("sha-256" -> "SHA-256"), None if we do not know it.

    Algorithm names are case-insensitive tokens (RFC 7616 §3.3).
    """
    return _CANONICAL.get(name.upper())


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Digest authentication settings (RFC 3261 §22, RFC 7616, RFC 8760).

    - `algorithms`: offered in this order, one challenge header each; RFC 8760 §2.4 asks for the
      preferred one first. Names from `KNOWN_ALGORITHMS`, any case; stored canonical.
    - `qop`: "auth" and/or "auth-int" (RFC 7616 §3.3). Empty means RFC 2069-style challenges
      without qop, for very old phones only: such credentials carry no nc and no cnonce.
    - `nonce_ttl`: seconds a nonce stays usable after it was issued.
    - `identity_exempt`: "user@domain" accounts allowed to send a From (To for REGISTER) other
      than their own identity; domains compare case-insensitively.
    """

    algorithms: tuple[str, ...] = ("MD5", "SHA-256")
    qop: tuple[str, ...] = ("auth",)
    nonce_ttl: float = 300.0
    identity_exempt: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "algorithms", _check_algorithms(self.algorithms))
        object.__setattr__(self, "qop", _check_qop(self.qop))
        object.__setattr__(self, "nonce_ttl", _check_ttl(self.nonce_ttl))
        object.__setattr__(self, "identity_exempt", _check_exempt(self.identity_exempt))

    def is_exempt(self, user: str, domain: str) -> bool:
        """True when `user@domain` may claim another identity (see `identity_exempt`)."""
        exempt = self.identity_exempt
        return bool(exempt) and f"{user}@{domain.lower()}" in exempt


def _check_algorithms(algorithms: Iterable[str]) -> tuple[str, ...]:
    names = tuple(algorithms)
    if not names:
        raise LocalError("[auth] algorithms: offer at least one algorithm")
    canonical = []
    for name in names:
        known = canonical_algorithm(name) if isinstance(name, str) else None
        if known is None:
            raise LocalError(
                f"[auth] algorithms: {name!r} is not one of {', '.join(KNOWN_ALGORITHMS)}"
            )
        canonical.append(known)
    if len(set(canonical)) != len(canonical):
        raise LocalError("[auth] algorithms: an algorithm is listed twice")
    return tuple(canonical)


def _check_qop(qop: Iterable[str]) -> tuple[str, ...]:
    values = tuple(v.lower() if isinstance(v, str) else v for v in qop)
    for value in values:
        if value not in QOP_VALUES:
            raise LocalError(f"[auth] qop: {value!r} is not one of {', '.join(QOP_VALUES)}")
    if len(set(values)) != len(values):
        raise LocalError("[auth] qop: a value is listed twice")
    return values


def _check_ttl(ttl: float) -> float:
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise LocalError("[auth] nonce_ttl: a number of seconds")
    if not math.isfinite(ttl) or ttl <= 0:
        raise LocalError(f"[auth] nonce_ttl: {ttl!r} is not a positive number of seconds")
    return float(ttl)


def _check_exempt(exempt: Iterable[str]) -> frozenset[str]:
    normalized = set()
    for entry in exempt:
        user, at, domain = entry.rpartition("@") if isinstance(entry, str) else ("", "", "")
        if not at or not user or not domain:
            raise LocalError(f"[auth] identity_exempt: {entry!r} is not user@domain")
        normalized.add(f"{user}@{domain.lower()}")
    return frozenset(normalized)
