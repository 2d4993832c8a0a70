"""Destination rules: the deny list and the destination classes, by longest prefix.

A destination is the user part of the Request-URI (or a tel: number) with visual separators
removed and a leading international access code ("00") rewritten to "+", so "00 44 9..." and
"+449..." are one number. A destination no prefix matches (a name such as "alice", an
extension) is `local`.
"""

from __future__ import annotations

from sipwarden.security.config import FraudConfig, normalize_number


def normalize(destination: str, fraud: FraudConfig) -> str:
    return normalize_number(destination, fraud.international_access_code)


def _longest(number: str, prefixes: tuple[str, ...]) -> str | None:
    matches = [p for p in prefixes if p and number.startswith(p)]
    return max(matches, key=len) if matches else None


def denied_prefix(number: str, fraud: FraudConfig) -> str | None:
    """The longest deny prefix `number` starts with, if any."""
    return _longest(number, fraud.deny_prefixes)


def classify(number: str, fraud: FraudConfig) -> str:
    """`premium`, `international`, `national` or `local`: the class of the longest prefix."""
    tables = (
        ("national", fraud.national_prefixes),
        ("international", fraud.international_prefixes),
        ("premium", fraud.premium_prefixes),
    )
    best, length = "local", -1
    for name, prefixes in tables:
        prefix = _longest(number, prefixes)
        if prefix is not None and len(prefix) > length:
            best, length = name, len(prefix)
    return best
