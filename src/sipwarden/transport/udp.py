"""The UDP adapter (RFC 3261 §18): a thin asyncio datagram protocol.

Each datagram goes through the pure `accept_datagram`; the adapter only sends what it returns
(a stateless error, back to the source per §18.2.2 for an unanswerable-otherwise request),
counts and logs rejects, and hands good messages to `on_message`.

`datagram_received` and `send` run for every datagram, so this module is compiled with mypyc
([tool.sipwarden.compile]). A compiled class cannot subclass `asyncio.DatagramProtocol`
(interpreted), but the event loops (asyncio's and uvloop's) only call the protocol's methods,
never check its type: `UdpTransport` is a plain class with every method of that protocol
(`connection_made`, `datagram_received`, `error_received`, `connection_lost`, the flow-control
pair), which asyncio would otherwise inherit as no-ops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sipwarden.transport.address import Address, Destination, Received
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import Limits, Rejected, accept_datagram
from sipwarden.transport.listen import ListenSpec

log = logging.getLogger(__name__)
Handler = Callable[[Received], None]


class UdpTransport:
    """One UDP listener (an asyncio datagram protocol); `local` is known once
    `connection_made` has run."""

    def __init__(self, on_message: Handler, limits: Limits) -> None:
        self.on_message = on_message
        self.limits = limits
        self.counters = DropCounters()
        self.local = Address("UDP", "", 0)
        # The loop's DatagramTransport (uvloop's is not a subclass of asyncio's: untyped).
        self._transport: Any = None

    # ----- asyncio.DatagramProtocol ---------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        host, port = transport.get_extra_info("sockname")[:2]
        self.local = Address("UDP", host, port)  # uvloop runs this soon after bind, not during

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        source = Address("UDP", addr[0], addr[1])
        outcome = accept_datagram(data, source, self.local, self.limits)
        if isinstance(outcome, Rejected):
            self._reject(outcome, source)
        else:
            self.on_message(outcome)

    def error_received(self, exc: Exception) -> None:
        """An ICMP error for an earlier send (asyncio's default: ignore it)."""

    def connection_lost(self, exc: Exception | None) -> None:
        """The socket was closed (asyncio's default: nothing to do)."""

    def pause_writing(self) -> None:
        """The send buffer is full (asyncio's default: nothing; UDP drops instead)."""

    def resume_writing(self) -> None:
        """The send buffer drained (asyncio's default: nothing)."""

    # ----- ours -----------------------------------------------------------------------------
    def _reject(self, rejected: Rejected, source: Address) -> None:
        self.counters.count(rejected.reason)
        log.info("udp reject reason=%s source=%s %s", rejected.reason, source, rejected.detail)
        if rejected.reply is not None:
            self.send(rejected.reply, Destination(source))

    def send(self, data: bytes, destination: Destination) -> None:
        """Send one datagram to `destination.address`."""
        transport = self._transport
        if transport is None or transport.is_closing():
            self.counters.count("send_closed")
            return
        address = destination.address
        transport.sendto(data, (address.host, address.port))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _factory(on_message: Handler, limits: Limits) -> Callable[[], Any]:
    """The protocol factory `create_datagram_endpoint` wants (typed as any protocol: ours
    duck-types asyncio.DatagramProtocol, see the module docstring)."""

    def make() -> Any:
        return UdpTransport(on_message, limits)

    return make


async def start_udp(
    spec: ListenSpec, on_message: Handler, limits: Limits, reuse_port: bool = False
) -> UdpTransport:
    """Bind a UDP listener for `spec` (IPv4 or IPv6, port 0 for any) on the running loop;
    `reuse_port` sets SO_REUSEPORT so several worker processes share the port (the kernel
    spreads datagrams over them by the source and destination addresses, docs/workers.md)."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _factory(on_message, limits),
        local_addr=(spec.host, spec.port),
        reuse_port=reuse_port or None,
    )
    udp: UdpTransport = protocol
    host, port = transport.get_extra_info("sockname")[:2]
    udp.local = Address("UDP", host, port)
    return udp
