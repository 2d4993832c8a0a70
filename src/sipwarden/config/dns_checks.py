"""Checks for the `[dns]` section: the name servers sipwarden's RFC 3263 resolver asks."""

from __future__ import annotations

import ipaddress

from sipwarden.config.errors import Invalid
from sipwarden.config.show import show

FORM = "an IP address with an optional port (IP, IP:PORT or [IPv6]:PORT)"


def nameserver(value: object) -> str:
    """`"192.0.2.53"`, `"127.0.0.1:5353"` or `"[::1]:53"`, as written (checked)."""
    if not isinstance(value, str):
        raise Invalid(f"expected {FORM}, got {show(value)}")
    try:
        split_nameserver(value)
    except ValueError as error:
        raise Invalid(str(error)) from None
    return value


def split_nameserver(text: str) -> tuple[str, int]:
    """(ip, port) of a `nameservers` entry; port 53 when none is given. ValueError if bad."""
    host, port = text, 53
    if text.startswith("["):
        inner, _, rest = text[1:].partition("]")
        host = inner
        if rest:
            port = _port(text, rest.removeprefix(":"))
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        port = _port(text, number)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        raise ValueError(f"expected {FORM}, got {show(text)}") from None


def _port(text: str, number: str) -> int:
    if not number.isdigit() or not 1 <= int(number) <= 65535:
        raise ValueError(f"expected {FORM}, got {show(text)}")
    return int(number)
