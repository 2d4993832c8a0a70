"""Addresses, destinations and the event a transport hands to the layers above.

Transport names are the Via tokens: UDP, TCP, TLS (RFC 3261 §18), WS and WSS (RFC 7118 §5).
Hosts are IP addresses written without brackets.
"""

from __future__ import annotations

from dataclasses import dataclass

from sipwarden.sip import Request, Response

RELIABLE = frozenset({"TCP", "TLS", "WS", "WSS", "SCTP"})


@dataclass(frozen=True, slots=True)
class Address:
    """One transport endpoint: transport name, IP address (no brackets) and port."""

    transport: str
    host: str
    port: int

    @property
    def reliable(self) -> bool:
        """True for connection-oriented transports (RFC 3261 §18.2.2's "reliable")."""
        return self.transport in RELIABLE

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport.lower()}:{host}:{self.port}"


Peer = Address


@dataclass(frozen=True, slots=True)
class Destination:
    """Where to send: an open connection when `connection` is set, else `address`."""

    address: Address
    connection: int | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """A message that passed the transport checks (RFC 3261 §18.2.1, §18.1.2).

    `source` is the peer, `local` the listener it arrived on, `connection` the id of the stream
    connection (TCP, TLS, WS, WSS) it came over, or None for UDP.
    """

    message: Request | Response
    source: Address
    local: Address
    connection: int | None = None
