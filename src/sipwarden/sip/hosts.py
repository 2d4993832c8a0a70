"""Cheap tests on host strings, for the per-message paths that compared hosts with `ipaddress`.

`ipaddress.ip_address` costs several microseconds per call (it parses every octet in Python);
the hot paths mostly see IPv4 literals, which have exactly one spelling `ipaddress` accepts: a
dotted quad without leading zeros (Python 3.9.5+). A string without a colon is never IPv6, so
for such strings a scan of its characters answers what `ipaddress` would, and IPv6 keeps the
`ipaddress` path.
"""

from __future__ import annotations

import ipaddress
import re

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def is_ipv4(text: str) -> bool:
    """True when `ipaddress.IPv4Address(text)` would accept `text` (its canonical form): what
    `_IPV4` matches, read by hand (compiled, a loop over code points costs a fraction of a
    regex match; tests/unit/test_scan_fast_paths.py compares the two)."""
    n = len(text)
    if n < 7 or n > 15:
        return False
    dots = 0
    digits = 0
    octet = 0
    for i in range(n):
        c = ord(text[i])
        if c == 46:  # '.'
            if digits == 0 or dots == 3:
                return False
            dots += 1
            digits = 0
            octet = 0
        elif 48 <= c <= 57:
            if digits > 0 and octet == 0:  # a leading zero
                return False
            octet = octet * 10 + c - 48
            if octet > 255:
                return False
            digits += 1
        else:
            return False
    return dots == 3 and digits > 0


def ip_version(text: str) -> int | None:
    """4 or 6 for an IP address without brackets (as `ipaddress.ip_address(text).version`),
    None for anything else."""
    if ":" not in text:
        return 4 if is_ipv4(text) else None
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def canonical_ip(text: str) -> str | None:
    """`str(ipaddress.ip_address(text))`, or None when `text` is not an IP address."""
    if ":" not in text:
        return text if is_ipv4(text) else None
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
