"""Checkers for `[admin]` (the admin HTTP API and dashboard, docs/admin.md)."""

from __future__ import annotations

import ipaddress

from sipwarden.config.errors import Invalid
from sipwarden.config.show import show

FORM = "HOST:PORT (an IP address, [IPv6] in brackets, or localhost; port 0 to 65535)"


def split_listen(text: str) -> tuple[str, int]:
    """`"127.0.0.1:8088"` -> ("127.0.0.1", 8088); `"[::1]:8088"` -> ("::1", 8088).

    ValueError says what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected {FORM}, got {show(text)}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if ":" not in host:
            raise ValueError(f"expected {FORM}, got {show(text)}")
    elif ":" in host:
        raise ValueError(f"an IPv6 address goes in brackets, [{host}]:{port}; got {show(text)}")
    if host.lower() == "localhost":
        return "localhost", int(port)
    try:
        return str(ipaddress.ip_address(host)), int(port)
    except ValueError:
        raise ValueError(f"expected {FORM}, got {show(text)}") from None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(value: object) -> str:
    """`HOST:PORT` for the admin listener, returned as written when valid."""
    if not isinstance(value, str):
        raise Invalid(f"expected a string {FORM}, got {show(value)}")
    try:
        split_listen(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return value
