"""sipwarden.transport: listen specs, addresses and the pure transport rules of RFC 3261 §18.

Everything here so far is pure (no sockets): parsing listen specs, the `received`/`rport`
stamping of §18.2.1 and RFC 3581, and response routing per §18.2.2.
"""

from sipwarden.transport.address import Address, Destination, Peer, Received
from sipwarden.transport.listen import ListenSpec, ListenSpecError, parse_listen
from sipwarden.transport.routing import (
    default_port,
    request_transport,
    response_destination,
)
from sipwarden.transport.stamping import stamp_received

__all__ = [
    "Address",
    "Destination",
    "ListenSpec",
    "ListenSpecError",
    "Peer",
    "Received",
    "default_port",
    "parse_listen",
    "request_transport",
    "response_destination",
    "stamp_received",
]
