"""The `received` and `rport` Via parameters a server adds on receipt.

RFC 3261 §18.2.1: "the server MUST add a 'received' parameter" to the top Via when its sent-by
host differs from the packet's source address. RFC 3581 §4: when the top Via carries `rport`
without a value, the server MUST set it to the source port and MUST add `received` even when the
addresses match. RFC 3261 §25.1 writes `received` as a bare IPv6address (RFC 5118 §4.5 examples),
so IPv6 sources go in without brackets.
"""

from __future__ import annotations

import ipaddress

from sipwarden.sip import Request, Via
from sipwarden.sip.hosts import is_ipv4
from sipwarden.transport.address import Address


def stamp_received(request: Request, source: Address) -> bool:
    """Add `received`/fill `rport` on the top Via of `request`; True when it was edited."""
    via = request.top_via
    wants_rport = via.wants_rport and via.rport is None
    if not wants_rport and _same_host(via.host, source.host):
        return False
    params = _without(via.params, "received", "rport" if wants_rport else None)
    extra: list[tuple[str, str | None]] = [("received", source.host)]
    if wants_rport:
        extra.append(("rport", str(source.port)))
    stamped = Via(via.transport, via.host, via.port, (*params, *extra), via.protocol)
    request.replace_top_via(stamped)
    return True


def _same_host(sent_by: str, source: str) -> bool:
    """Compare as IP addresses, so `::1` equals `[0:0::1]`; a domain name never matches."""
    text = sent_by[1:-1] if sent_by.startswith("[") else sent_by
    if ":" not in text and ":" not in source:
        # Two IPv4 candidates: each has one spelling, so equal addresses are equal strings
        # (the `ipaddress` comparison without its parsing cost, on every received request).
        return text == source and is_ipv4(text)
    try:
        return ipaddress.ip_address(text) == ipaddress.ip_address(source)
    except ValueError:
        return False


def _without(
    params: tuple[tuple[str, str | None], ...], *names: str | None
) -> tuple[tuple[str, str | None], ...]:
    drop = {name for name in names if name is not None}
    return tuple((key, value) for key, value in params if key.lower() not in drop)
