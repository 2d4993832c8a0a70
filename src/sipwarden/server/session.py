"""One proxied request in `sipwarden run`: the §16.7 response context driven over real I/O.

How this works: a `Session` owns the pure `ResponseContext` of one request and the client
transactions of its branches. It feeds the context what the branches report (responses,
Timer B/F, transport errors), the caller's CANCEL and its own deadlines (Timer C, a group's
no-answer timeout), and carries out what the context asks: forward a copy on a new branch
(§16.6: build it, find the next hop's address, start a client transaction), CANCEL a branch
(§9.1), send a response upstream (through the server transaction; a 2xx after the final
answer goes statelessly, RFC 6026 §8.2).

The context's one deadline is re-armed only when it moves (a response that leaves Timer C and
the group timeout where they were keeps the armed timer).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sipwarden.errors import ParseError
from sipwarden.proxy.cancel import build_cancel
from sipwarden.proxy.context import ResponseContext
from sipwarden.proxy.events import CancelBranch, Finished, ForwardBranch, SendUpstream
from sipwarden.proxy.forward import Forwarded, forward
from sipwarden.proxy.identity import Flow
from sipwarden.proxy.loop import branch_for, with_worker
from sipwarden.proxy.targets import Target
from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.flows import family_of, flow_of, parse_address
from sipwarden.server.resolve import literal_address
from sipwarden.sip import Request, Response, SipUri, parse_uri
from sipwarden.sip.uri import Uri
from sipwarden.transaction import ClientTransaction
from sipwarden.transport.address import RELIABLE, Address, Destination, Received

if TYPE_CHECKING:
    from sipwarden.server.proxying import Proxy

log = logging.getLogger(__name__)


class BranchLeg:
    """What was sent on one branch: the copy and where it went (a plain slotted class: a
    dataclass's generated `__init__` stays interpreted on the compiled build)."""

    __slots__ = ("destination", "request")

    def __init__(self, request: Request, destination: Destination) -> None:
        self.request = request
        self.destination = destination


class _Ignore:
    """The owner of our CANCEL transactions: their 200 or 481 changes nothing (§9.1)."""

    def on_branch_response(self, transaction: ClientTransaction, response: Response) -> None:
        return None

    def on_branch_timeout(self, transaction: ClientTransaction, response: Response | None) -> None:
        return None

    def on_branch_error(self, transaction: ClientTransaction) -> None:
        return None


IGNORE = _Ignore()


class Session:
    """The context of one proxied request and its branches (a BranchOwner)."""

    def __init__(
        self,
        proxy: Proxy,
        original: Request,
        routed: Request,
        received: Received,
        transaction: ServerTx,
        context: ResponseContext,
    ) -> None:
        self.proxy = proxy
        self.dispatcher: Dispatcher = proxy.dispatcher
        self.original = original
        self.routed = routed
        self.received = received
        self.transaction = transaction
        self.context = context
        self.legs: dict[int, BranchLeg] = {}
        self.spares: dict[int, tuple[ForwardBranch, Forwarded, list[Destination]]] = {}
        self.retries: dict[int, int] = {}
        self.branch_of: dict[ClientTransaction, int] = {}
        self.inbound: Flow = flow_of(received.local)  # the flow the request came in on
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None  # when `_timer` fires
        self._tasks: set[asyncio.Task[None]] = set()

    def now(self) -> float:
        return self.dispatcher.now()

    # ----- inputs --------------------------------------------------------------------------
    def start(self) -> None:
        self.context.start(self.now())
        self.pump()

    def cancel(self) -> None:
        """The caller's CANCEL (§16.10)."""
        self.context.on_cancel(self.now())
        self.pump()

    def on_branch_response(self, transaction: ClientTransaction, response: Response) -> None:
        branch_id = self.branch_of[transaction]
        if response.status == 503 and self._failover(branch_id):
            return
        self.context.on_response(branch_id, response, self.now())
        self.pump()

    def on_branch_timeout(self, transaction: ClientTransaction, response: Response | None) -> None:
        branch_id = self.branch_of[transaction]
        if self._failover(branch_id):
            return
        self.context.on_branch_timeout(branch_id, self.now())
        self.pump()

    def on_branch_error(self, transaction: ClientTransaction) -> None:
        branch_id = self.branch_of[transaction]
        if self._failover(branch_id):
            return
        self.context.on_transport_error(branch_id, self.now())
        self.pump()

    def _fire(self) -> None:
        self._timer = None
        self._deadline = None
        self.context.on_timeout(self.now())
        self.pump()

    # ----- outputs -------------------------------------------------------------------------
    def pump(self) -> None:
        """Carry out everything the context asked for, then re-arm its one timer."""
        while (event := self.context.next_event()) is not None:
            if isinstance(event, SendUpstream):
                self.proxy.upstream(self.transaction, event.response)
            elif isinstance(event, ForwardBranch):
                self._forward(event)
            elif isinstance(event, Finished):
                self.proxy.finished(self.transaction)
            elif isinstance(event, CancelBranch):
                self._cancel_branch(event.branch_id)
        self._rearm()

    def _rearm(self) -> None:
        deadline = self.context.next_deadline()
        if deadline == self._deadline:
            return  # armed for that instant already, or nothing to arm (None: no timer)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline = deadline
        if deadline is not None:
            self._timer = self.dispatcher.call_at(deadline, self._fire)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline = None
        for task in self._tasks:
            task.cancel()

    # ----- forwarding (§16.6) ---------------------------------------------------------------
    def _forward(self, event: ForwardBranch) -> None:
        inbound = self.inbound
        first = self._build(event, inbound, inbound)
        known = self._known_destination(event.target, first)
        if known is not None:
            self._send_branch(event, first, known)
            return
        task = asyncio.ensure_future(self._forward_resolved(event, first))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forward_resolved(self, event: ForwardBranch, first: Forwarded) -> None:
        """RFC 3263: the next hop's candidates in order; the first is tried, the others kept
        for failover (§4.3)."""
        found = [
            Destination(candidate.address)
            for candidate in await self.proxy.resolver.candidates(first.next_hop)
            if self._outbound_flow(first, Destination(candidate.address)) is not None
        ]
        if not found:
            log.info("branch %d: no usable address for %s", event.branch_id, first.next_hop)
            self._branch_failed(event.branch_id)
            return
        self.spares[event.branch_id] = (event, first, found[1:])
        self._send_branch(event, first, found[0])

    def _failover(self, branch_id: int) -> bool:
        """RFC 3263 §4.3: after a 503, a timeout or a transport error, the same request goes to
        the next address of the next hop, with a new branch (a new transaction); True when one
        was left to try."""
        event, first, left = self.spares.get(branch_id, (None, None, []))
        if event is None or first is None or not left:
            return False
        self.spares[branch_id] = (event, first, left[1:])
        self.retries[branch_id] = self.retries.get(branch_id, 0) + 1
        log.info("branch %d: failing over to %s", branch_id, left[0].address)
        self._send_branch(event, first, left[0])
        return True

    def _known_destination(self, target: Target, built: Forwarded) -> Destination | None:
        """Without DNS: the flow a phone registered over (stream transports: the connection it
        keeps open, RFC 5626's idea), else an IP literal next hop."""
        if target.source is not None and not target.path:
            source = parse_address(target.source)  # before the URI: cheaper, and UDP stops here
            if source is not None and source.transport in RELIABLE and _same_hop(built, target):
                return Destination(source)
        address = literal_address(built.next_hop)
        return None if address is None else Destination(address)

    def _send_branch(
        self, event: ForwardBranch, first: Forwarded, destination: Destination
    ) -> None:
        outbound = self._outbound_flow(first, destination)
        if outbound is None:
            self._branch_failed(event.branch_id)
            return
        address = destination.address
        transport = outbound[0].upper()
        if transport != address.transport:
            destination = Destination(
                Address(transport, address.host, address.port), destination.connection
            )
        retry = self.retries.get(event.branch_id, 0)
        inbound = self.inbound
        built = (
            first if outbound == inbound and not retry else self._build(event, inbound, outbound)
        )
        leg = BranchLeg(built.request, destination)
        self.legs[event.branch_id] = leg
        transaction = self.dispatcher.send_request(built.request, destination, self)
        self.branch_of[transaction] = event.branch_id

    def _outbound_flow(self, built: Forwarded, destination: Destination) -> Flow | None:
        """The flow to send on: the destination's transport and family, moved from UDP to TCP
        for a request over the MTU limit (RFC 3261 §18.1.1) unless the URI insists on UDP."""
        address = destination.address
        flow = (address.transport.lower(), family_of(address.host))
        if flow[0] == "udp" and len(built.request.serialize()) > self.proxy.mtu_limit:
            hop = built.next_hop
            pinned = isinstance(hop, SipUri) and hop.transport == "udp"
            tcp = ("tcp", flow[1])
            if not pinned and self.proxy.has_interface(tcp):
                return tcp
        return flow if self.proxy.has_interface(flow) else None

    def _build(self, event: ForwardBranch, inbound: Flow, outbound: Flow) -> Forwarded:
        branch = branch_for(self.original, self.proxy.identity, event.branch_id)
        retry = self.retries.get(event.branch_id, 0)
        if retry:
            branch = f"{branch}.{retry}"  # a new transaction per RFC 3263 §4.3 attempt
        branch = with_worker(branch, self.dispatcher.worker)  # docs/workers.md
        if outbound != inbound and not self.proxy.has_interface(outbound):
            outbound = inbound
        return forward(
            self.routed,
            event.target,
            self.proxy.identity,
            self.proxy.config,
            branch=branch,
            inbound=inbound,
            outbound=outbound,
        )

    def _branch_failed(self, branch_id: int) -> None:
        """No way to send the branch: a transport error, a local 503 (§16.9)."""
        self.context.on_transport_error(branch_id, self.now())
        self.pump()

    def _cancel_branch(self, branch_id: int) -> None:
        leg = self.legs.get(branch_id)
        if leg is None:
            return
        cancel = build_cancel(leg.request)
        self.dispatcher.send_request(cancel, leg.destination, IGNORE)


def _same_hop(built: Forwarded, target: Target) -> bool:
    """The copy goes straight to the target's URI (no Route, no outbound proxy in between)."""
    return built.next_hop == _uri(target.uri)


def _uri(text: str) -> Uri | None:
    try:
        return parse_uri(text)
    except ParseError:
        return None
