"""The next hop's address when no DNS is needed: an IP literal host (or maddr).

RFC 3263 §4.1: with a numeric host the transport is the URI's `transport` parameter, else TLS
for a SIPS URI, else UDP; §4.2: the port is the URI's, else the transport's default (5060,
5061 for TLS/WSS). `maddr` (RFC 3261 §19.1.1) overrides the host. Names go to
`sipwarden.dns.resolver.SipResolver` (NAPTR, SRV, A/AAAA).
"""

from __future__ import annotations

from sipwarden.sip import SipUri
from sipwarden.sip.hosts import canonical_ip
from sipwarden.sip.uri import Uri
from sipwarden.transport.address import Address
from sipwarden.transport.routing import default_port

TRANSPORTS = {"udp": "UDP", "tcp": "TCP", "tls": "TLS", "ws": "WS", "wss": "WSS"}


def hop_transport(uri: SipUri) -> str:
    """RFC 3263 §4.1 without NAPTR: `transport=`, else TLS for sips:, else UDP."""
    param = uri.transport
    if param is not None:
        name = TRANSPORTS.get(param, "UDP")
        if uri.secure and name == "TCP":
            return "TLS"
        return "WSS" if uri.secure and name == "WS" else name
    return "TLS" if uri.secure else "UDP"


def literal_address(uri: Uri) -> Address | None:
    """The address of a URI whose host (or maddr) is an IP literal; None for a name."""
    if not isinstance(uri, SipUri):
        return None
    host = _bare(uri.maddr or uri.host)
    ip = canonical_ip(host)
    if ip is None:
        return None
    transport = hop_transport(uri)
    return Address(transport, ip, uri.port or default_port(transport))


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host
