"""sipwarden.transport: listen specs, addresses and the pure transport rules of RFC 3261 §18.

What this package exports is pure (no sockets, no asyncio), so pure layers such as config may
import it: parsing listen specs, the `received`/`rport` stamping of §18.2.1 and RFC 3581,
response routing per §18.2.2 and the connection table (RFC 5923 aliases). The adapters are
imported from their modules: `sipwarden.transport.hub.Transports` (every listener behind one
`send`), `.udp`, `.stream` (a TCP or TLS connection), `.stream_listen` and `.stream_connect`
(TCP/TLS listeners, outbound connections), `.websocket` (WS, WSS), `.accept` (what the stream
listeners share) and `.tls` (contexts and the self-signed certificate).
"""

from sipwarden.transport.address import Address, Destination, Peer, Received
from sipwarden.transport.connections import (
    Connection,
    ConnectionLimits,
    ConnectionTable,
    IdleTimer,
    alias_target,
)
from sipwarden.transport.listen import ListenSpec, ListenSpecError, parse_listen
from sipwarden.transport.routing import (
    default_port,
    request_transport,
    response_destination,
)
from sipwarden.transport.stamping import stamp_received

__all__ = [
    "Address",
    "Connection",
    "ConnectionLimits",
    "ConnectionTable",
    "Destination",
    "IdleTimer",
    "ListenSpec",
    "ListenSpecError",
    "Peer",
    "Received",
    "alias_target",
    "default_port",
    "parse_listen",
    "request_transport",
    "response_destination",
    "stamp_received",
]
