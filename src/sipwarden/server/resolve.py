"""From a next-hop URI to an address: transport, IP and port (RFC 3263 §4, without SRV/NAPTR).

RFC 3263 §4.1: the transport is the URI's `transport` parameter, else TLS for a SIPS URI, else
UDP (the full NAPTR/SRV procedure is issue #6's; until then a name is resolved with its A/AAAA
records, RFC 3263 §4.2's fallback when there is no SRV). §4.2: the port is the URI's, else the
transport's default (5060, 5061 for TLS/WSS). `maddr` (RFC 3261 §19.1.1) overrides the host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from sipwarden.sip import SipUri
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
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    transport = hop_transport(uri)
    return Address(transport, str(ip), uri.port or default_port(transport))


async def resolve(uri: Uri) -> Address | None:
    """The address to send to for `uri`; None when it is not SIP or the name has no address."""
    literal = literal_address(uri)
    if literal is not None or not isinstance(uri, SipUri):
        return literal
    transport = hop_transport(uri)
    host = _bare(uri.maddr or uri.host)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return None
    if not infos:
        return None
    ip = str(infos[0][4][0])
    return Address(transport, ip, uri.port or default_port(transport))


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host
