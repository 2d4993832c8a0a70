"""Send a HEP v3 copy of every SIP message to a collector (Homer, heplify-server) over UDP.

How this works: `start()` opens one connected UDP socket to the collector (a host name is
resolved once, there). `capture(...)` encodes the packet (observe/hep.py) and hands it to the
socket without waiting: when the transport's write buffer already holds `max_buffer` bytes (the
kernel said "would block" and asyncio queued the rest), the packet is dropped and counted, so
capture never slows SIP down nor grows memory. ICMP errors from a dead collector are counted,
never logged per packet. Nothing here raises into the caller's SIP path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from sipwarden.observe.hep import HepError, capture_packet, encode
from sipwarden.transport.address import Address

log = logging.getLogger(__name__)
DEFAULT_MAX_BUFFER = 256 * 1024


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts

    def error_received(self, exc: Exception) -> None:
        self.counts["collector_error"] += 1  # ICMP port unreachable and the like


class HepSender:
    """A non-blocking, dropping HEP v3 sender to `host:port` (docs/hep.md)."""

    def __init__(
        self,
        host: str,
        port: int,
        agent_id: int,
        password: str | None = None,
        max_buffer: int = DEFAULT_MAX_BUFFER,
    ) -> None:
        self.host, self.port = host, port
        self.agent_id = agent_id
        self.password = password or None
        self.max_buffer = max_buffer
        self.sent = 0
        self.dropped: Counter[str] = Counter()
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        """Open the socket to the collector; OSError when the address cannot be used."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Collector(self.dropped), remote_addr=(self.host, self.port)
        )
        self._transport = transport
        log.info("hep capture to %s:%d agent_id=%d", self.host, self.port, self.agent_id)

    def capture(self, data: bytes, source: Address, destination: Address, at: float) -> None:
        """Send a copy of `data` (one SIP message) that went from `source` to `destination`
        at `at` (wall-clock seconds since the epoch); drops and counts instead of waiting."""
        transport = self._transport
        if transport is None or transport.is_closing():
            self.dropped["not_started"] += 1
            return
        try:
            captured = capture_packet(data, source, destination, at, self.agent_id, self.password)
            packet = encode(captured)
        except HepError:
            self.dropped["unencodable"] += 1
            return
        if _buffered(transport) + len(packet) > self.max_buffer:
            self.dropped["buffer_full"] += 1
            return
        transport.sendto(packet)
        self.sent += 1

    def stats(self) -> dict[str, int]:
        """Packets sent and dropped by reason (for /metrics and the dashboard)."""
        return {"sent": self.sent, **{f"dropped_{k}": v for k, v in self.dropped.items()}}

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


def _buffered(transport: asyncio.DatagramTransport) -> int:
    """Bytes the transport holds because the socket would block (asyncio's selector loop and
    uvloop both have `get_write_buffer_size` on datagram transports; typeshed omits it)."""
    size: Callable[[], int] | None = getattr(transport, "get_write_buffer_size", None)
    return size() if size is not None else 0
