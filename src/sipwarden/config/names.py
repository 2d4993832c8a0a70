"""Checks for SIP domains and account names, shared by the configuration and the user store.

A domain is a hostname (RFC 3261 §25.1 `hostname`, case-insensitive, kept in lower case) or an
IP address (kept in its canonical form, IPv6 without brackets). A user is the user part of a SIP
URI (RFC 3261 §25.1 `user`): unreserved and user-unreserved characters or %HH escapes.
"""

from __future__ import annotations

import re

from sipwarden.sip.hosts import canonical_ip

_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DIGITS_DOTS_RE = re.compile(r"[0-9.]+")
# user = 1*( unreserved / escaped / user-unreserved ), RFC 3261 §25.1
_USER_RE = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+")
MAX_USER_LENGTH = 128


def check_domain(text: str) -> str:
    """The domain in canonical form; ValueError with a one-line reason when it is not one.

    Runs on the call path (forwarding lookups, users/forwarding.py): `canonical_ip`
    (sip/hosts.py) is `str(ipaddress.ip_address(...))` without parsing IPv4 octets in Python."""
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    canonical = canonical_ip(inner)
    if canonical is not None:
        return canonical
    host = text.lower()
    if _is_hostname(host):
        return host
    raise ValueError(f"{text!r} is not a hostname or IP address")


def _is_hostname(host: str) -> bool:
    if not host or len(host) > 253 or _DIGITS_DOTS_RE.fullmatch(host):
        return False
    return all(_LABEL_RE.fullmatch(label) for label in host.split("."))


def check_user(text: str) -> str:
    """`text` when it is a valid SIP user part; ValueError with a one-line reason otherwise."""
    if not text:
        raise ValueError("the user name is empty")
    if len(text) > MAX_USER_LENGTH:
        raise ValueError(f"user name longer than {MAX_USER_LENGTH} characters")
    if not _USER_RE.fullmatch(text):
        raise ValueError(
            f"user {text!r} has characters not allowed in a SIP user part"
            " (letters, digits, -_.!~*'()&=+$,;?/ and %HH escapes)"
        )
    return text


def split_address(text: str) -> tuple[str, str]:
    """`USER@DOMAIN` as (user, canonical domain); ValueError with a one-line reason."""
    user, at, domain = text.partition("@")
    if not at:
        raise ValueError(f"expected USER@DOMAIN, got {text!r}")
    return check_user(user), check_domain(domain)
