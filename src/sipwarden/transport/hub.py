"""`Transports`: every listener plus the outbound side behind one `send` (RFC 3261 §18).

How this works: `start` binds each `PROTO:HOST:PORT` spec (UDP, TCP, TLS, WS, WSS) and shares
one `ConnectionTable` between the stream listeners. `send` picks, in order: the open connection
named by the destination (a response goes back on the request's connection, §18.2.2); an open
or aliased connection to the address (§18.1, RFC 5923); a UDP listener of the address family;
else a new TCP or TLS connection, with the bytes queued until it is up. A connection that cannot
be opened is counted and reported through `on_send_error(destination, reason, data)`, once per
lost message, so a transaction can turn it into a transport error (§17.1.4). `send_request`
adds the §18.1.1 size rule: a request over `mtu_limit` bytes bound for UDP goes over TCP
instead, with its top Via saying so.

With `sipwarden run --workers N` (docs/workers.md) every worker binds the UDP listeners with
SO_REUSEPORT (`reuse_port`); only worker 0 binds the stream listeners (`streams`), the others
know them by address (`remote`, for Via and Record-Route) and hand whatever they send over a
stream transport to worker 0 through `relay`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sipwarden.sip import Request, Via
from sipwarden.sip.hosts import ip_version
from sipwarden.transport.address import Address, Destination
from sipwarden.transport.connections import ConnectionLimits, ConnectionTable
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import Limits
from sipwarden.transport.listen import ListenSpec, parse_listen
from sipwarden.transport.protocol import Handler
from sipwarden.transport.routing import MTU_LIMIT, request_transport
from sipwarden.transport.stream import SendErrorHandler, StreamConnection, StreamContext
from sipwarden.transport.stream_connect import connect
from sipwarden.transport.stream_listen import StreamListener, start_stream
from sipwarden.transport.tls import TlsSettings, listener_context, outbound_context
from sipwarden.transport.udp import UdpTransport, start_udp
from sipwarden.transport.websocket import WsListener, start_ws

log = logging.getLogger(__name__)
_HOSTS_REMEMBERED = 4096
Listener = UdpTransport | StreamListener | WsListener


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Everything the transports are configured with; see docs/transports.md for defaults.

    `data_dir` holds the self-signed TLS pair when `tls` names no certificate. `mtu_limit` is
    §18.1.1's 1300 bytes: larger requests bound for UDP go over TCP.
    """

    limits: Limits = field(default_factory=Limits)
    connection: ConnectionLimits = field(default_factory=ConnectionLimits)
    tls: TlsSettings = field(default_factory=TlsSettings)
    data_dir: Path = Path("sipwarden-data")
    mtu_limit: int = MTU_LIMIT


@dataclass(frozen=True, slots=True)
class ListenerInfo:
    """A listener as configured (`spec`) and as bound (`local`: the real port for port 0)."""

    spec: ListenSpec
    local: Address


class Transports:
    """The transport facade the layers above use: `start`, `send`, `send_request`, `close`."""

    def __init__(
        self, on_message: Handler, config: TransportConfig, on_send_error: SendErrorHandler | None
    ) -> None:
        self.config = config
        self.on_message = on_message
        self.on_send_error = on_send_error
        self.on_sent: Callable[[bytes, Address, Address], None] | None = None
        self.table = ConnectionTable(config.connection.max_per_ip)
        self.counters = DropCounters()
        self._listeners: list[tuple[ListenSpec, Listener]] = []
        self._specs: list[tuple[ListenSpec, Listener | None]] = []  # None: another worker's
        self._udp: dict[int, UdpTransport] = {}  # IP version -> its first UDP listener
        # Destination host -> that listener: telling the IP version of a host costs more than
        # this lookup, and peers are few (bounded: emptied when _HOSTS_REMEMBERED is reached).
        self._udp_by_host: dict[str, UdpTransport] = {}
        self.relay: Callable[[bytes, Destination], None] | None = None  # to worker 0
        self._outbound = {name: self._context(name) for name in ("TCP", "TLS")}
        self._server_tls: ssl.SSLContext | None = None
        self._client_tls: ssl.SSLContext | None = None

    @classmethod
    async def start(
        cls,
        specs: Iterable[str | ListenSpec],
        on_message: Handler,
        config: TransportConfig | None = None,
        on_send_error: SendErrorHandler | None = None,
        reuse_port: bool = False,
        streams: bool = True,
    ) -> Transports:
        """Bind every spec on the running loop; on any failure, close what was bound and raise.
        `reuse_port`: UDP with SO_REUSEPORT; `streams` False: stream specs are not bound, only
        named (their ports must be concrete: another process holds them).

        ListenSpecError for a malformed spec, OSError when an address cannot be bound.
        """
        parsed = [parse_listen(s) if isinstance(s, str) else s for s in specs]
        hub = cls(on_message, config or TransportConfig(), on_send_error)
        try:
            for spec in parsed:
                if spec.proto != "udp" and not streams:
                    hub._specs.append((spec, None))
                    continue
                listener = await hub._listen(spec, parsed, reuse_port)
                hub._listeners.append((spec, listener))
                hub._specs.append((spec, listener))
        except BaseException:
            await hub.close()
            raise
        for spec, listener in hub._listeners:
            log.info("listening on %s (bound %s)", spec, listener.local)
        return hub

    @property
    def listeners(self) -> list[ListenerInfo]:
        """Each listener with the address it is bound to, in the order of the specs."""
        return [
            ListenerInfo(spec, Address(spec.transport, spec.host, spec.port))
            if listener is None
            else ListenerInfo(spec, listener.local)
            for spec, listener in self._specs
        ]

    def _context(self, transport: str) -> StreamContext:
        config = self.config
        return StreamContext(
            transport,
            self.on_message,
            config.limits,
            self.table,
            config.connection,
            on_send_error=self.on_send_error,
        )

    async def _listen(
        self, spec: ListenSpec, every: list[ListenSpec], reuse_port: bool
    ) -> Listener:
        config = self.config
        if spec.proto == "udp":
            return await start_udp(spec, self.on_message, config.limits, reuse_port)
        tls = self._tls_server(every) if spec.proto in ("tls", "wss") else None
        if spec.proto in ("tcp", "tls"):
            return await start_stream(self._context(spec.transport), spec.host, spec.port, tls)
        return await start_ws(
            spec, self.on_message, config.limits, self.table, tls, config.connection
        )

    def _tls_server(self, every: list[ListenSpec]) -> ssl.SSLContext:
        """One server context for every TLS and WSS listener, made on first need."""
        if self._server_tls is None:
            hosts = _certificate_hosts(every)
            self._server_tls = listener_context(self.config.tls, self.config.data_dir, hosts)
        return self._server_tls

    def is_open(self, connection_id: int) -> bool:
        """True while connection `connection_id` is registered and not closing (§18.2.2)."""
        return self.table.get(connection_id) is not None

    def send(self, data: bytes, destination: Destination) -> None:
        """Send one serialized message; see the module comment for how the way is chosen."""
        if self.relay is not None and destination.address.transport != "UDP":
            self.relay(data, destination)  # worker 0 holds the stream connections
            return
        if destination.connection is not None:
            connection = self.table.get(destination.connection)
            if connection is not None:
                connection.send(data)
                self._sent(data, connection.local, connection.peer)
                return
        address = destination.address
        if address.transport == "UDP":
            self._send_udp(data, destination)
            return
        connection = self.table.find(address)
        if connection is None and address.transport in self._outbound:
            connection = self._connect(address)
        if connection is not None:
            connection.send(data)
            self._sent(data, connection.local, address)
        else:  # WS/WSS clients connect to us (RFC 7118 §5); we never dial them
            self._failed(destination, "no_connection", data)

    def send_request(
        self, request: Request, destination: Destination, udp_only: bool = False
    ) -> Destination:
        """Send a request, moving it from UDP to TCP when §18.1.1 says so; returns where it went.

        §18.1.1: a request larger than `mtu_limit` (1300) bytes MUST go over a congestion-
        controlled transport, and the top Via (ours) is changed to match. `udp_only` is for a
        target known to speak only UDP. The returned destination tells the transaction whether
        the transport is reliable (no retransmissions, §17.1.1.2).
        """
        data = request.serialize()
        address = destination.address
        way = request_transport(address.transport, len(data), udp_only, self.config.mtu_limit)
        moved = destination.connection is None and way != address.transport.upper()
        if moved:
            request.replace_top_via(self._tcp_via(request.top_via))
            data = request.serialize()
            destination = Destination(Address("TCP", address.host, address.port))
        self.send(data, destination)
        return destination

    def _tcp_via(self, via: Via) -> Via:
        """Our Via, now TCP, naming our TCP listener's port when the UDP one differs."""
        port = via.port
        for info in self.listeners:
            if info.spec.proto == "tcp" and (":" in info.spec.host) == (":" in via.host):
                port = info.local.port
                break
        return Via("TCP", via.host, port, via.params, via.protocol)

    def _send_udp(self, data: bytes, destination: Destination) -> None:
        host = destination.address.host
        listener = self._udp_by_host.get(host)
        if listener is None:
            family = ip_version(host)
            if family is None:
                self._failed(destination, "unresolved_host", data)  # resolved above us
                return
            listener = self._udp.get(family) or self._udp_listener(family)
            if listener is None:
                self._failed(destination, "no_listener", data)
                return
            if len(self._udp_by_host) >= _HOSTS_REMEMBERED:
                self._udp_by_host.clear()
            self._udp_by_host[host] = listener
        listener.send(data, destination)
        if self.on_sent is not None:
            self.on_sent(data, listener.local, destination.address)

    def _udp_listener(self, family: int) -> UdpTransport | None:
        """The first UDP listener of IP version `family`, remembered: listeners are bound at
        start and keep their address family."""
        for _, listener in self._listeners:
            if isinstance(listener, UdpTransport) and _family(listener.local.host) == family:
                self._udp[family] = listener
                return listener
        return None

    def _sent(self, data: bytes, local: Address, peer: Address) -> None:
        """Tell `on_sent` (HEP capture, docs/hep.md) what went out; it must not block."""
        if self.on_sent is not None:
            self.on_sent(data, local, peer)

    def _connect(self, address: Address) -> StreamConnection:
        tls = self._tls_client() if address.transport == "TLS" else None
        return connect(self._outbound[address.transport], address, tls)

    def _tls_client(self) -> ssl.SSLContext:
        if self._client_tls is None:
            self._client_tls = outbound_context(self.config.tls)
        return self._client_tls

    def _failed(self, destination: Destination, reason: str, data: bytes) -> None:
        self.counters.count(reason)
        log.info("send failed reason=%s destination=%s", reason, destination.address)
        if self.on_send_error is not None:
            self.on_send_error(destination, reason, data)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Drop/reject counts per listener, outbound side and hub (for the dashboard)."""
        counts = {str(spec): listener.counters.snapshot() for spec, listener in self._listeners}
        for name, context in self._outbound.items():
            counts[f"{name.lower()}:outbound"] = context.counters.snapshot()
        counts["hub"] = self.counters.snapshot()
        return counts

    async def close(self) -> None:
        """Close every listener and connection and wait until they are gone."""
        for _, listener in self._listeners:
            listener.close()
        for context in self._outbound.values():
            for task in list(context.tasks):
                task.cancel()
            for connection in list(context.connections):
                connection.abort()
        for _, listener in self._listeners:
            if not isinstance(listener, UdpTransport):
                await listener.wait_closed()
        pending = [t for c in self._outbound.values() for t in c.tasks]
        if pending:
            await asyncio.wait(pending)
        await asyncio.sleep(0)  # let connection_lost callbacks run before the loop closes


def _family(host: str) -> int:
    return 6 if ":" in host else 4


def _certificate_hosts(specs: list[ListenSpec]) -> list[str]:
    """Names for a self-signed certificate: the TLS/WSS listen addresses, plus localhost."""
    hosts = [s.host for s in specs if s.proto in ("tls", "wss")]
    named = [h for h in dict.fromkeys(hosts) if not ipaddress.ip_address(h).is_unspecified]
    return [*named, "localhost"]
