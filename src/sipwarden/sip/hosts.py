"""Cheap tests on host strings, for the per-message paths that compared hosts with `ipaddress`.

`ipaddress.ip_address` costs several microseconds per call (it parses every octet in Python);
the hot paths mostly see IPv4 literals, which have exactly one spelling `ipaddress` accepts: a
dotted quad without leading zeros (Python 3.9.5+). A string without a colon is never IPv6, so
for such strings a regular expression answers what `ipaddress` would, and IPv6 keeps the
`ipaddress` path.
"""

from __future__ import annotations

import ipaddress
import re

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def is_ipv4(text: str) -> bool:
    """True when `ipaddress.IPv4Address(text)` would accept `text` (its canonical form)."""
    return _IPV4.fullmatch(text) is not None


def ip_version(text: str) -> int | None:
    """4 or 6 for an IP address without brackets (as `ipaddress.ip_address(text).version`),
    None for anything else."""
    if ":" not in text:
        return 4 if _IPV4.fullmatch(text) is not None else None
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def canonical_ip(text: str) -> str | None:
    """`str(ipaddress.ip_address(text))`, or None when `text` is not an IP address."""
    if ":" not in text:
        return text if _IPV4.fullmatch(text) is not None else None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def normalize_host(host: str) -> str:
    """A host for comparisons: lower-case, no brackets, no trailing dot, IPv6 compressed."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" not in bare:  # a name or IPv4: a valid IPv4 is already in its canonical form
        return bare.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        return bare.lower().rstrip(".")
