"""Gateway health probes: OPTIONS to every gateway destination at its group's interval.

How this works: the pure `HealthTracker` (sipwarden.routing.health) says which destinations
are due; for each, an OPTIONS (RFC 3261 §11, the usual keep-alive probe of SIP trunks) goes
out in its own client transaction. Any response up to 4xx means the peer is alive (a gateway
may well answer 404 or 405 to OPTIONS); a 5xx, no response within the probe timeout, or a
transport error counts as a failure. The tracker turns N failures into "down" and M successes
into "up" with the reason ("down at 12:03:07: 3 OPTIONS timed out"), which is logged and
published as a `gateway` event; the proxy skips destinations that are down.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sipwarden.observe.events import Event, EventBus
from sipwarden.observe.metrics import Metrics
from sipwarden.proxy.loop import PREFIX, with_worker
from sipwarden.routing import Destination, Health, HealthChange
from sipwarden.server.flows import flow_of
from sipwarden.sip import Request, Response, parse_uri
from sipwarden.sip.request import build_request
from sipwarden.transaction import ClientTransaction
from sipwarden.transport.address import Destination as SendTo

if TYPE_CHECKING:
    from sipwarden.server.proxying import Proxy

log = logging.getLogger("sipwarden.gateways")
PROBE_TIMEOUT = 2.0  # seconds without a response before a probe counts as failed


@dataclass
class _Probe:
    """The owner of one OPTIONS transaction: resolves `outcome` with (ok, detail)."""

    outcome: asyncio.Future[tuple[bool, str]]

    def on_branch_response(self, transaction: ClientTransaction, response: Response) -> None:
        if response.status >= 200 and not self.outcome.done():
            ok = response.status < 500
            self.outcome.set_result((ok, f"answered {response.status} {response.reason}"))

    def on_branch_timeout(self, transaction: ClientTransaction, response: Response | None) -> None:
        if not self.outcome.done():
            self.outcome.set_result((False, "timed out"))

    def on_branch_error(self, transaction: ClientTransaction) -> None:
        if not self.outcome.done():
            self.outcome.set_result((False, "transport error"))


class Prober:
    """Runs the probes of the proxy's gateway groups until cancelled."""

    def __init__(
        self,
        proxy: Proxy,
        bus: EventBus,
        metrics: Metrics | None = None,
        timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.proxy = proxy
        self.bus = bus
        self.metrics = metrics
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        try:
            while True:
                deadline = self.proxy.health.next_deadline()
                delay = 1.0 if deadline is None else max(0.0, deadline - time.time())
                await asyncio.sleep(min(delay, 1.0))  # re-read: a reload may bring new groups
                for destination in self.proxy.health.on_timeout(time.time()):
                    self._spawn(destination)
        finally:
            for task in self._tasks:
                task.cancel()

    def _spawn(self, destination: Destination) -> None:
        task = asyncio.ensure_future(self._probe(destination))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _probe(self, destination: Destination) -> None:
        started = time.monotonic()
        ok, detail = await self._send(destination)
        latency = time.monotonic() - started if ok else None
        change = self.proxy.health.probe_result(destination, ok, detail, time.time())
        if self.metrics is not None:
            up = self.proxy.health.is_up(destination)
            self.metrics.gateway(f"{destination.group}:{destination.uri}", up, latency)
        if change is not None:
            self._report(change)

    async def _send(self, destination: Destination) -> tuple[bool, str]:
        uri = parse_uri(destination.uri)
        address = await self.proxy.resolver.resolve(uri)
        if address is None:
            return False, "cannot resolve"
        flow = flow_of(address)
        if not self.proxy.has_interface(flow):
            return False, f"no {flow[0]} interface"
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[tuple[bool, str]] = loop.create_future()
        request = self._options(destination, flow)
        self.proxy.dispatcher.send_request(request, SendTo(address), _Probe(outcome))
        try:
            return await asyncio.wait_for(outcome, self.timeout)
        except TimeoutError:
            return False, "timed out"

    def _options(self, destination: Destination, flow: tuple[str, str]) -> Request:
        interface = self.proxy.identity.interface(flow)
        tag = secrets.token_hex(4)
        branch = with_worker(f"{PREFIX}probe{secrets.token_hex(6)}", self.proxy.dispatcher.worker)
        headers = [
            ("Via", interface.via(branch)),
            ("Max-Forwards", "70"),
            ("From", f"<sip:sipwarden@{interface.sent_by}>;tag={tag}"),
            ("To", f"<{destination.uri}>"),
            ("Call-ID", f"probe-{secrets.token_hex(8)}@{interface.host}"),
            ("CSeq", "1 OPTIONS"),
        ]
        return build_request("OPTIONS", destination.uri, headers)

    def _report(self, change: HealthChange) -> None:
        destination = change.destination
        kind = "up" if change.state is Health.UP else "down"
        log.warning("gateway %s %s %s", destination.group, destination.uri, change)
        detail = {"group": destination.group, "uri": destination.uri, "text": str(change)}
        self.bus.publish(Event(change.at, "gateway", kind, destination.uri, "", detail))
