"""Addresses, destinations and the event a transport hands to the layers above.

Transport names are the Via tokens: UDP, TCP, TLS (RFC 3261 §18), WS and WSS (RFC 7118 §5).
Hosts are IP addresses written without brackets.
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.sip import Request, Response
from sipwarden.value import Value

RELIABLE = frozenset({"TCP", "TLS", "WS", "WSS", "SCTP"})


class Address(Value):
    """One transport endpoint: transport name, IP address (no brackets) and port.

    A value, equal and hashed by its fields (a `Value` rather than a frozen dataclass: one is
    made and hashed for every message, see sipwarden/value.py).
    """

    __slots__ = ("host", "port", "transport")
    _names: ClassVar[tuple[str, ...]] = ("transport", "host", "port")
    transport: Final[str]
    host: Final[str]
    port: Final[int]

    def __init__(self, transport: str, host: str, port: int) -> None:
        self.transport = transport
        self.host = host
        self.port = port

    def _fields(self) -> tuple[object, ...]:
        return (self.transport, self.host, self.port)

    def __reduce__(self) -> tuple[type[Address], tuple[str, str, int]]:
        # Pickle by the constructor: a compiled class cannot be rebuilt from its slots.
        return (Address, (self.transport, self.host, self.port))

    @property
    def reliable(self) -> bool:
        """True for connection-oriented transports (RFC 3261 §18.2.2's "reliable")."""
        return self.transport in RELIABLE

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport.lower()}:{host}:{self.port}"


Peer = Address


class Destination(Value):
    """Where to send: an open connection when `connection` is set, else `address`.

    A `Value` (see sipwarden/value.py): one is made for every message sent.
    """

    __slots__ = ("address", "connection")
    _names: ClassVar[tuple[str, ...]] = ("address", "connection")
    address: Final[Address]
    connection: Final[int | None]

    def __init__(self, address: Address, connection: int | None = None) -> None:
        self.address = address
        self.connection = connection

    def _fields(self) -> tuple[object, ...]:
        return (self.address, self.connection)


class Received(Value):
    """A message that passed the transport checks (RFC 3261 §18.2.1, §18.1.2).

    `source` is the peer, `local` the listener it arrived on, `connection` the id of the stream
    connection (TCP, TLS, WS, WSS) it came over, or None for UDP. A `Value` (see
    sipwarden/value.py): one is made for every message received.
    """

    __slots__ = ("connection", "local", "message", "source")
    _names: ClassVar[tuple[str, ...]] = ("message", "source", "local", "connection")
    message: Final[Request | Response]
    source: Final[Address]
    local: Final[Address]
    connection: Final[int | None]

    def __init__(
        self,
        message: Request | Response,
        source: Address,
        local: Address,
        connection: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.local = local
        self.connection = connection

    def _fields(self) -> tuple[object, ...]:
        return (self.message, self.source, self.local, self.connection)
