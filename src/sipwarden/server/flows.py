"""Naming the ways in and out of the proxy: flows (transport, family) and source strings."""

from __future__ import annotations

from sipwarden.proxy.identity import Flow, Interface
from sipwarden.transport.address import Address


def family_of(host: str) -> str:
    """ "ipv6" for an IPv6 address (with or without brackets), else "ipv4"."""
    return "ipv6" if ":" in host else "ipv4"


def flow_of(address: Address) -> Flow:
    """The flow an address is reached over: ("udp", "ipv4") and the like."""
    return (address.transport.lower(), family_of(address.host))


def parse_address(text: str) -> Address | None:
    """An `Address` from its `str()` form ("tcp:192.0.2.1:5060", "udp:[::1]:5062"); None when
    the text is not one."""
    proto, sep, rest = text.partition(":")
    host, sep2, port = rest.rpartition(":")
    if not sep or not sep2 or not port.isdigit() or not host:
        return None
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return Address(proto.upper(), bare, int(port))


def interfaces_for(bound: list[Address], advertised: dict[str, str]) -> tuple[Interface, ...]:
    """One proxy interface per (transport, family), from the bound listeners (the first of each
    wins). A wildcard listener (0.0.0.0, ::) is advertised as the address in `advertised` for
    its family ("ipv4"/"ipv6": the host's own address), since a Via or Record-Route must name
    an address the peer can reach."""
    interfaces: dict[Flow, Interface] = {}
    for address in bound:
        flow = flow_of(address)
        if flow in interfaces:
            continue
        host = address.host
        if host in ("0.0.0.0", "::"):
            host = advertised.get(flow[1], "127.0.0.1" if flow[1] == "ipv4" else "::1")
        written = f"[{host}]" if ":" in host else host
        interfaces[flow] = Interface(flow[0], flow[1], written, address.port)
    return tuple(interfaces.values())
