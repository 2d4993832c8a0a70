"""The connection table shared by the stream transports (TCP, TLS, WS, WSS); pure, no asyncio.

How this works: every open connection, inbound or outbound, is registered under an id the
table hands out (`new_id`). A response finds its connection by that id (RFC 3261 §18.2.2: "the
server transport MUST use [the same connection] to send the response"); a request finds one by
peer address (§18.1: "a client ... MAY reuse an existing connection") or by an alias added when
the peer's Via carried the `alias` parameter (RFC 5923 §5). Inbound connections are counted per
source IP so an adapter can refuse one over the cap before it reads a byte.

Aliases: RFC 5923 §10 warns that a peer can claim any sent-by and so capture requests meant for
someone else. `alias_target` therefore only aliases the peer's own source IP, at the port its Via
names (what Kamailio's `tcp_accept_aliases` does): a peer can only attract traffic addressed to
the IP address it is already connected from.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from sipwarden.sip import Via
from sipwarden.transport.address import Address
from sipwarden.transport.routing import default_port

STREAM_TRANSPORTS = frozenset({"TCP", "TLS", "WS", "WSS"})


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Per-connection limits shared by TCP, TLS, WS and WSS (message size is in `Limits`).

    `max_per_ip`: inbound connections one source IP may hold open (0: no cap).
    `idle_timeout`: seconds without a whole message or keep-alive before the connection is
    closed; bytes that do not finish a message do not count, so a peer trickling a message
    byte by byte (slow-loris) is closed too. Above RFC 5626 §4.4.1's 95..120 s keep-alive
    interval so a registered flow survives. `message_timeout`: seconds a partial message may
    take from its first byte to its last. `connect_timeout`: seconds to open an outbound
    connection, TLS handshake included.
    """

    max_per_ip: int = 64
    idle_timeout: float = 180.0
    message_timeout: float = 10.0
    connect_timeout: float = 10.0


class IdleTimer:
    """The idle and partial-message deadlines of one connection (pure: time is an argument).

    Call `on_message(now)` for each whole message or keep-alive and `on_bytes(now, buffered)`
    after each read with the bytes still buffered; arm one timer at `next_deadline()` and ask
    `expired(now)` when it fires.
    """

    def __init__(self, limits: ConnectionLimits, now: float) -> None:
        self.limits = limits
        self._last = now
        self._partial_since: float | None = None

    def on_message(self, now: float) -> None:
        self._last = now
        self._partial_since = None

    def on_bytes(self, now: float, buffered: int) -> None:
        if buffered == 0:
            self._partial_since = None
        elif self._partial_since is None:
            self._partial_since = now

    def next_deadline(self) -> float:
        idle = self._last + self.limits.idle_timeout
        if self._partial_since is None:
            return idle
        return min(idle, self._partial_since + self.limits.message_timeout)

    def expired(self, now: float) -> str | None:
        """The reason code when a deadline has passed ("idle_timeout", "message_timeout")."""
        if now < self.next_deadline():
            return None
        if now >= self._last + self.limits.idle_timeout:
            return "idle_timeout"
        return "message_timeout"


class Connection(Protocol):
    """One open stream connection, as the table and the hub see it.

    `id` is the number from `ConnectionTable.new_id()`; `transport` is the Via token (TCP, TLS,
    WS or WSS); `peer` the remote address and `local` the local one, both with that transport.
    `send` writes one whole serialized message (the adapter adds any framing, such as a
    WebSocket frame); it never raises, and silently counts a write on a closing connection.
    `close` starts an orderly close; the adapter then calls `ConnectionTable.remove(id)` once
    the connection is gone. `closing` is True from the moment either side started closing.
    """

    @property
    def id(self) -> int: ...

    @property
    def transport(self) -> str: ...

    @property
    def peer(self) -> Address: ...

    @property
    def local(self) -> Address: ...

    @property
    def closing(self) -> bool: ...

    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


def normalize(address: Address) -> Address:
    """`address` with its transport upper-cased and its IP host in canonical form.

    A Via may write `[::1]` or `0:0::1` where a socket reports `::1`; names stay as given
    (lower-cased, DNS is case-insensitive).
    """
    host = address.host[1:-1] if address.host.startswith("[") else address.host
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = host.lower()
    return Address(address.transport.upper(), host, address.port)


class ConnectionTable:
    """Open connections by id, by peer address and by RFC 5923 alias; inbound counts per IP.

    `max_per_ip` caps inbound connections from one source IP (0 means no cap). The table holds
    no sockets and does no I/O: adapters `add` and `remove`, the hub looks up.
    """

    def __init__(self, max_per_ip: int = 0) -> None:
        self.max_per_ip = max_per_ip
        self._next_id = 0
        self._by_id: dict[int, Connection] = {}
        self._by_peer: dict[Address, int] = {}
        self._aliases: dict[Address, int] = {}
        self._inbound: dict[int, str] = {}
        self._per_ip: Counter[str] = Counter()

    def new_id(self) -> int:
        """A fresh connection id (never 0, never reused while the table lives)."""
        self._next_id += 1
        return self._next_id

    def admits(self, ip: str) -> bool:
        """True when one more inbound connection from `ip` stays within `max_per_ip`."""
        return self.max_per_ip <= 0 or self._per_ip[_ip(ip)] < self.max_per_ip

    def count(self, ip: str) -> int:
        """How many inbound connections from `ip` are registered."""
        return self._per_ip[_ip(ip)]

    def add(self, connection: Connection, inbound: bool) -> None:
        """Register an open connection; `inbound` ones count against their source IP's cap.

        The newest connection to a peer address wins the by-peer lookup (§18.1 reuse).
        """
        self._by_id[connection.id] = connection
        self._by_peer[normalize(connection.peer)] = connection.id
        if inbound:
            ip = _ip(connection.peer.host)
            self._inbound[connection.id] = ip
            self._per_ip[ip] += 1

    def remove(self, connection_id: int) -> Connection | None:
        """Forget a connection with its peer entry and aliases; returns it, None if unknown."""
        connection = self._by_id.pop(connection_id, None)
        if connection is None:
            return None
        peer = normalize(connection.peer)
        if self._by_peer.get(peer) == connection_id:
            del self._by_peer[peer]
        self._aliases = {a: i for a, i in self._aliases.items() if i != connection_id}
        ip = self._inbound.pop(connection_id, None)
        if ip is not None:
            self._per_ip[ip] -= 1
            if self._per_ip[ip] <= 0:
                del self._per_ip[ip]
        return connection

    def alias(self, address: Address, connection_id: int) -> bool:
        """RFC 5923 §5: requests towards `address` may use connection `connection_id`.

        False (and nothing stored) when the connection is unknown or its transport differs.
        """
        connection = self._by_id.get(connection_id)
        if connection is None or address.transport.upper() != connection.transport:
            return False
        self._aliases[normalize(address)] = connection_id
        return True

    def get(self, connection_id: int) -> Connection | None:
        """The connection with this id while it is registered and not closing."""
        connection = self._by_id.get(connection_id)
        return None if connection is None or connection.closing else connection

    def find(self, address: Address) -> Connection | None:
        """An open connection to `address`: first one whose peer it is, then an alias."""
        key = normalize(address)
        for index in (self._by_peer, self._aliases):
            connection_id = index.get(key)
            if connection_id is not None:
                connection = self.get(connection_id)
                if connection is not None:
                    return connection
        return None

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Connection]:
        """Every registered connection (a snapshot, safe to close them while iterating)."""
        return iter(list(self._by_id.values()))


def alias_target(via: Via, source: Address) -> Address | None:
    """The address to alias for a request whose top Via is `via`, or None if none is asked.

    RFC 5923 §5: a Via `alias` parameter offers the connection for requests towards the
    sent-by. Only the source IP is trusted (see the module comment), at the Via's port or the
    transport's default (§19.1.2); the transport must match the connection's.
    """
    if not any(name.lower() == "alias" for name, _ in via.params):
        return None
    if via.transport != source.transport.upper():
        return None
    port = via.port if via.port is not None else default_port(via.transport)
    return normalize(Address(source.transport, source.host, port))


def _ip(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host.lower()
