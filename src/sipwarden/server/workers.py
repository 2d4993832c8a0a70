"""One worker of `sipwarden run --workers N`: its role and the handoff endpoint (docs/workers.md).

How this works: the supervisor (server/supervisor.py) gives every worker a loopback UDP socket
of its own (inherited by file descriptor, so a restarted worker gets the same port) and the
ports of all. `Relay` is that socket's protocol:
- a response whose branch names another worker (dispatcher) goes to it as `recv`;
- in a worker other than 0, whatever goes out over TCP, TLS, WS or WSS goes to worker 0 as
  `send` (worker 0 holds the stream listeners, so a phone's connection is there);
- worker 0 sends a `send` on its connection to the peer (or dials it, like any of its own
  sends); when that fails, the bytes go back as `fail` to the worker holding the branch.
Handoff counts are logged when the worker stops.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sipwarden.server.dispatcher import Dispatcher
from sipwarden.server.handoff import Handoff, HandoffError, decode, encode
from sipwarden.transport.address import Address, Destination, Received
from sipwarden.transport.hub import Transports
from sipwarden.transport.inbound import Limits, Rejected, accept_datagram

log = logging.getLogger("sipwarden.workers")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class WorkerRole:
    """Worker `index` of `count`; `ports` the handoff ports of all, `fd` this one's socket."""

    index: int
    count: int
    ports: tuple[int, ...]
    fd: int

    @property
    def streams(self) -> bool:
        """Worker 0 binds the stream listeners and serves the admin API."""
        return self.index == 0


def parse_ports(text: str) -> tuple[int, ...]:
    """`--handoff 127.0.0.1:p0,p1,...` (the host is always the loopback)."""
    host, _, ports = text.partition(":")
    if host != LOOPBACK or not ports:
        raise ValueError(f"--handoff {text!r}: expected {LOOPBACK}:PORT,PORT,...")
    return tuple(int(port) for port in ports.split(","))


def format_ports(ports: Sequence[int]) -> str:
    return f"{LOOPBACK}:{','.join(str(port) for port in ports)}"


class Relay(asyncio.DatagramProtocol):
    """The handoff endpoint of one worker."""

    def __init__(
        self, role: WorkerRole, dispatcher: Dispatcher, transports: Transports, limits: Limits
    ) -> None:
        self.role = role
        self.dispatcher = dispatcher
        self.transports = transports
        self.limits = limits
        self.counts: Counter[str] = Counter()
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    # ----- out -----------------------------------------------------------------------------
    def hand_recv(self, worker: int, received: Received) -> None:
        data = received.message.serialize()
        self._to(worker, Handoff("recv", data, received.source, received.local))

    def hand_send(self, data: bytes, destination: Destination) -> None:
        self._to(0, Handoff("send", data, destination.address))

    def hand_fail(self, worker: int, data: bytes) -> None:
        self._to(worker, Handoff("fail", data))

    def _to(self, worker: int, handoff: Handoff) -> None:
        if self._transport is None or self._transport.is_closing():
            self.counts["closed"] += 1
            return
        if worker >= len(self.role.ports):
            self.counts["unknown_worker"] += 1
            return
        try:
            datagram = encode(handoff)
        except HandoffError as error:
            self.counts["too_big"] += 1
            log.warning("handoff dropped: %s", error)
            return
        if not self.counts[f"{handoff.kind}_out"]:
            log.info("first %s handoff to worker %d", handoff.kind, worker)
        self.counts[f"{handoff.kind}_out"] += 1
        self._transport.sendto(datagram, (LOOPBACK, self.role.ports[worker]))

    # ----- in ------------------------------------------------------------------------------
    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if addr[0] != LOOPBACK or addr[1] not in self.role.ports:
            self.counts["foreign"] += 1  # only our workers' sockets may hand over
            return
        try:
            handoff = decode(data)
        except HandoffError as error:
            self.counts["bad"] += 1
            log.warning("handoff dropped: %s", error)
            return
        self.counts[f"{handoff.kind}_in"] += 1
        if handoff.kind == "recv":
            self._received(handoff)
        elif handoff.kind == "send" and handoff.peer is not None:
            self.transports.send(handoff.data, Destination(handoff.peer))
        elif handoff.kind == "fail":
            self.dispatcher.send_failed(handoff.data)

    def _received(self, handoff: Handoff) -> None:
        peer, local = handoff.peer, handoff.local
        if peer is None or local is None:
            return
        outcome = accept_datagram(handoff.data, peer, local, self.limits)
        if isinstance(outcome, Rejected):
            self.counts["rejected"] += 1
            return
        self.dispatcher.on_handoff(outcome)

    def ready(self, listeners: Sequence[Address]) -> None:
        """Tell the supervisor (on stdout, its pipe) that this worker serves, and where."""
        print("ready", *(str(address) for address in listeners), file=sys.stdout, flush=True)

    def close(self) -> None:
        counts = " ".join(f"{key}={value}" for key, value in sorted(self.counts.items()))
        log.info("handoffs: %s", counts or "none")
        if self._transport is not None:
            self._transport.close()


async def start_relay(
    role: WorkerRole, dispatcher: Dispatcher, transports: Transports, limits: Limits
) -> Relay:
    """Open the handoff socket and wire the dispatcher and the transports to it."""
    sock = socket.socket(fileno=role.fd)
    sock.setblocking(False)
    relay = Relay(role, dispatcher, transports, limits)
    await asyncio.get_running_loop().create_datagram_endpoint(lambda: relay, sock=sock)
    dispatcher.worker = role.index
    dispatcher.handoff = relay.hand_recv
    if role.streams:
        dispatcher.handoff_failed = relay.hand_fail
    else:
        transports.relay = relay.hand_send
    return relay
