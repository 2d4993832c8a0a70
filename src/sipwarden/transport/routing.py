"""Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4) and which transport a request takes
(RFC 3261 §18.1.1).

Responses, in order: back over the connection the request came on while it is open (reliable
transports); to `maddr` when present; to `received` (port from `rport`, else sent-by, else the
default); otherwise to the sent-by host and port, with 5060 (5061 for TLS/WSS, §19.1.2) when
the Via gives none.
"""

from __future__ import annotations

from sipwarden.sip import Via
from sipwarden.transport.address import Address, Destination

MTU_LIMIT = 1300  # §18.1.1: "within 200 bytes of the path MTU", 1500 assumed


def default_port(transport: str) -> int:
    """RFC 3261 §19.1.2: 5061 for TLS (and WSS, its secure sibling), 5060 otherwise."""
    return 5061 if transport.upper() in ("TLS", "WSS") else 5060


def response_destination(via: Via, connection: int | None, connection_open: bool) -> Destination:
    """The §18.2.2 destination for a response whose top Via is `via`.

    `connection` is the id of the connection the request arrived on (None for UDP) and
    `connection_open` says whether it is still open; the returned address is then the fallback
    should that connection close before the response is written.
    """
    address = _fallback(via)
    if connection is not None and connection_open:
        return Destination(address, connection)
    return Destination(address)


def _fallback(via: Via) -> Address:
    """The address to use when no connection is open: maddr, received/rport, then sent-by."""
    if via.maddr is not None:
        return Address(via.transport, _bare(via.maddr), _port(via))
    host = via.received if via.received is not None else _bare(via.host)
    port = via.rport if via.rport is not None else _port(via)
    return Address(via.transport, host, port)


def request_transport(
    transport: str, size: int, congestion_controlled: bool = False, limit: int = MTU_LIMIT
) -> str:
    """§18.1.1: a UDP request over `limit` bytes (1300 unless the path MTU is known to differ)
    MUST go over a congestion-controlled transport (TCP), unless the element is told to stay
    on UDP (`congestion_controlled`, RFC 3261 leaves the fallback to the caller on failure)."""
    if transport.upper() == "UDP" and size > limit and not congestion_controlled:
        return "TCP"
    return transport.upper()


def _port(via: Via) -> int:
    return via.port if via.port is not None else default_port(via.transport)


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host
