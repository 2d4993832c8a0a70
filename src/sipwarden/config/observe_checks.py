"""Checkers for `[hep]` (docs/hep.md) and `[cdr]` (docs/cdr.md)."""

from __future__ import annotations

import ipaddress

from sipwarden.config.errors import Invalid
from sipwarden.config.names import check_domain
from sipwarden.config.show import show

MAX_AGENT_ID = 2**32 - 1  # the HEP capture agent id chunk is a 32-bit integer
MAX_FLUSH_INTERVAL = 60.0  # [cdr] records a kill -9 may lose: at most this many seconds' worth
FORM = "HOST:PORT (an IP address, [IPv6] in brackets, or a host name; port 1 to 65535)"


def split_collector(text: str) -> tuple[str, int]:
    """`"10.0.0.5:9060"` -> ("10.0.0.5", 9060); `"[::1]:9060"` -> ("::1", 9060);
    `"homer.example.net:9060"` -> ("homer.example.net", 9060). ValueError says what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535 or not host:
        raise ValueError(f"expected {FORM}, got {show(text)}")
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1])), int(port)
        except ValueError:
            raise ValueError(f"expected {FORM}, got {show(text)}") from None
    if ":" in host:
        raise ValueError(f"an IPv6 address goes in brackets, [{host}]:{port}; got {show(text)}")
    try:
        return str(ipaddress.IPv4Address(host)), int(port)
    except ValueError:
        pass
    try:
        return check_domain(host), int(port)
    except ValueError:
        raise ValueError(f"expected {FORM}, got {show(text)}") from None


def collector(value: object) -> str:
    """`HOST:PORT` of the HEP collector, returned as written when valid."""
    if not isinstance(value, str):
        raise Invalid(f"expected a string {FORM}, got {show(value)}")
    try:
        split_collector(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return value


def flush_interval(value: object) -> float:
    """`[cdr] flush_interval`: seconds from 0 (each record written as its call ends) to
    `MAX_FLUSH_INTERVAL`, as a float."""
    wanted = f"expected a number of seconds from 0 to {MAX_FLUSH_INTERVAL:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{wanted}, got {show(value)}")
    if not 0 <= value <= MAX_FLUSH_INTERVAL:  # NaN fails both comparisons; inf the upper one
        raise Invalid(f"{wanted}, got {show(value)}")
    return float(value)
