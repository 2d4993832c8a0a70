"""What the TCP/TLS and WS/WSS connection adapters share (stream.py, ws_connection.py).

How this works: every connection of one listener (or of the outbound side) holds the same
`ConnectionContext`: the limits, the shared `ConnectionTable`, the drop counters and the tasks
to cancel on close. `admits` applies our per-IP cap before a byte is read (RFC 3261 §18 and
RFC 7118 set none). `ConnectionProtocol` is the asyncio Protocol base: it stops reading from a
peer that does not read what we send (backpressure), and declares the `fail`/`abort` that the
TLS accept path (accept.py) reports a handshake's end to.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from sipwarden.transport.address import Address, Received
from sipwarden.transport.connections import ConnectionLimits, ConnectionTable
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import Limits

log = logging.getLogger(__name__)
Handler = Callable[[Received], None]


@dataclass
class ConnectionContext:
    """What every connection of one listener (or of the outbound side) shares."""

    transport: str
    on_message: Handler
    limits: Limits
    table: ConnectionTable
    conn_limits: ConnectionLimits
    counters: DropCounters = field(default_factory=DropCounters, kw_only=True)
    tasks: set[asyncio.Task[None]] = field(default_factory=set, kw_only=True)

    def drop(self, reason: str, source: Address, detail: str) -> None:
        """Count and log one refused input or cut connection (STYLE 10)."""
        self.counters.count(reason)
        log.info("%s reject reason=%s source=%s %s", self.transport.lower(), reason, source, detail)

    def admits(self, peer: Address) -> bool:
        """True when `peer`'s IP may open one more inbound connection, else dropped as
        `connection_cap`; checked before the first byte is read (and any TLS handshake)."""
        if self.table.admits(peer.host):
            return True
        self.drop("connection_cap", peer, f"over {self.table.max_per_ip} per IP")
        return False

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `coro` as a task held here, so closing can cancel it and nothing is orphaned."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class ConnectionProtocol(asyncio.Protocol, abc.ABC):
    """The asyncio side of one TCP, TLS, WS or WSS connection (`StreamConnection`,
    `WsConnection`): backpressure, plus what a TLS handshake's end is reported to."""

    _io: asyncio.Transport | None

    def pause_writing(self) -> None:
        """The peer is not reading what we send: stop reading what it sends until it does."""
        if self._io is not None:
            self._io.pause_reading()

    def resume_writing(self) -> None:
        if self._io is not None and not self._io.is_closing():
            self._io.resume_reading()

    @abc.abstractmethod
    def fail(self, reason: str, detail: str) -> None:
        """The connection could not be set up (TLS handshake failed): count it, forget it."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop the connection at once, without flushing."""
