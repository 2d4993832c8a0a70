"""The transaction user's front door: transports in, transactions, messages out.

How this works: every good message from a transport lands in `on_message`.
- A request that matches a live server transaction is a retransmission (or the ACK of a
  non-2xx) and is absorbed by it (RFC 3261 §17.2.3). A CANCEL is answered here (§9.2, §16.10):
  200 when its INVITE transaction is found, else 481; the core then cancels what it forwarded,
  or the INVITE ends with a local 487. An ACK that matches no transaction (the ACK of a 2xx,
  §13.2.2.4) goes to the core to be routed without one (§16.11). Any other request gets a new
  server transaction and goes to the core, which answers through `respond`.
- A response is matched to the client transaction of the branch it answers (§17.1.3) and its
  events go to the branch's `owner`; a response matching none goes to the core, which may
  forward it statelessly (§16.11: 2xx retransmissions of an INVITE whose transaction ended).
  With several workers (docs/workers.md) a response whose branch names another worker
  (`.w<K>`, proxy/loop.py) is handed to worker K before the table is consulted.
Whatever the transactions emit is sent: responses per §18.2.2 (over the connection the request
came on while it is open, else to the Via's received/rport), requests to the destination the
core chose. One `loop.call_at` stays armed for the table's earliest deadline (STYLE 5).

That timer is armed on a grid of `TIMER_GRAIN` (T1/50: 10 ms with the default T1 of 500 ms):
at the first grid point at or after the deadline, so a timer never fires early and at most one
grain late (as late as an event loop's own jitter under load). Transactions started within the
same grain then end in one wake-up instead of one each: at 200 calls/s, four end timers per
call (Timers D/I/J/K/L/M, 5-32 s) would otherwise wake the loop 800 times a second, each time
for one transaction. The table itself keeps the exact deadlines (§17: Table 4's values).

Per transaction the dispatcher keeps one record: a server transaction's origin (where its
request came from, when it opened), a client transaction's destination and owner; it is
dropped when the transaction terminates. While a message (or a timer) is being handled, the
timer is re-armed once at the end rather than after each answer or request it caused.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from time import perf_counter
from typing import Protocol

from sipwarden.errors import ParseError
from sipwarden.observe.cdr_feed import CdrRecorder
from sipwarden.observe.metrics import Metrics
from sipwarden.observe.outcomes import log_outcome, outcome_fields
from sipwarden.proxy.loop import worker_of
from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.transaction import (
    ClientTransaction,
    InviteClientTransaction,
    InviteServerTransaction,
    LegacyServerKey,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    RequestReceived,
    ResponseReceived,
    Send,
    ServerKey,
    TimedOut,
    TimerConfig,
    TransactionTable,
    TransportError,
    client_key,
    client_transaction,
    server_key,
    server_transaction,
)
from sipwarden.transaction.base import Transaction
from sipwarden.transport.address import Destination, Received
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.routing import response_destination

log = logging.getLogger(__name__)
OUTCOMES = logging.getLogger("sipwarden.outcome")  # one line per server transaction outcome
ServerTx = InviteServerTransaction | NonInviteServerTransaction
ClientTx = InviteClientTransaction | NonInviteClientTransaction
ServerTxKey = ServerKey | LegacyServerKey
TIMER_GRAIN = 1 / 50  # of T1: the grid the loop timer is armed on (see the module docstring)


class Sender(Protocol):
    """What the dispatcher needs from the transports."""

    def send(self, data: bytes, destination: Destination) -> None: ...

    def is_open(self, connection: int) -> bool: ...


class Core(Protocol):
    """The transaction user: answers new requests, routes what has no transaction."""

    def handle(self, request: Request, received: Received, transaction: ServerTx) -> None: ...

    def cancelled(self, transaction: InviteServerTransaction) -> bool:
        """The caller cancelled `transaction` (§16.10); True when the core handles it (it has
        branches to cancel), False to let the dispatcher answer the INVITE with 487."""
        ...

    def handle_ack(self, ack: Request, received: Received) -> None: ...

    def handle_stray(self, response: Response, received: Received) -> None: ...


class Gate(Protocol):
    """The security shield's first check (server/guard.py)."""

    def admit(self, request: Request, source_ip: str) -> bool: ...


class BranchOwner(Protocol):
    """Who gets the outcome of a client transaction (a proxy branch, §16.7)."""

    def on_branch_response(self, transaction: ClientTransaction, response: Response) -> None: ...

    def on_branch_timeout(
        self, transaction: ClientTransaction, response: Response | None
    ) -> None: ...

    def on_branch_error(self, transaction: ClientTransaction) -> None: ...


class _Served:
    """A server transaction's origin: the request's arrival (for §18.2.2) and when it opened
    (for the outcome line; None once that line was written)."""

    __slots__ = ("opened", "received", "reply_to")

    def __init__(self, received: Received, opened: float) -> None:
        self.received = received
        self.opened: float | None = opened
        # The §18.2.2 destination when the request came without a connection (it depends on
        # the top Via only, which does not change): worked out at the first response.
        self.reply_to: Destination | None = None


class _Sent:
    """A client transaction's next hop and the owner of its outcome (§17.1)."""

    __slots__ = ("destination", "owner", "transaction")

    def __init__(self, transaction: ClientTx, destination: Destination, owner: BranchOwner) -> None:
        self.transaction = transaction
        self.destination = destination
        self.owner = owner


class Dispatcher:
    """Owns the transaction table and the one timer; routes messages to the core."""

    def __init__(self, sender: Sender, timers: TimerConfig) -> None:
        self.sender = sender
        self.timers = timers
        self.table = TransactionTable()
        self.counters = DropCounters()
        self.core: Core | None = None
        self.guard: Gate | None = None
        self.metrics: Metrics | None = None
        self.capture: Callable[[Received], None] | None = None  # HEP (docs/hep.md)
        self.cdr: CdrRecorder | None = None  # call detail records (docs/cdr.md)
        self.worker: int | None = None  # this worker's index with --workers N > 1
        self.handoff: Callable[[int, Received], None] | None = None  # to worker K
        self.handoff_failed: Callable[[int, bytes], None] | None = None  # worker 0's
        self._served: dict[Transaction, _Served] = {}
        self._sent: dict[Transaction, _Sent] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None
        self._holding = False  # handling a message or timer: re-arm once, at its end
        self._grain = timers.t1 * TIMER_GRAIN
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: Callable[[], float] | None = None

    def now(self) -> float:
        """The running loop's clock (the loop is looked up once)."""
        clock = self._clock
        if clock is None:
            clock = self._running().time
        return clock()

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """`loop.call_at` on the running loop (for the sessions' timers)."""
        return self._running().call_at(when, callback)

    def _running(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
            self._clock = loop.time
        return loop

    # ----- input ---------------------------------------------------------------------------
    def on_message(self, received: Received) -> None:
        """One message from a transport (already parsed, validated and Via-stamped)."""
        message = received.message
        now = self.now()
        started = perf_counter()
        if self.capture is not None:
            self.capture(received)
        holding, self._holding = self._holding, True
        try:
            if isinstance(message, Response):
                self._response(message, received, now)
            else:
                self._request(message, received, now)
        finally:
            self._holding = holding
            if not holding:
                self._rearm()
        if self.metrics is not None:
            self.metrics.processing(perf_counter() - started)

    def _request(self, request: Request, received: Received, now: float) -> None:
        if self.metrics is not None:
            self.metrics.request(request.method, received.source.transport)
        if self.guard is not None and not self.guard.admit(request, received.source.host):
            return  # dropped silently: nothing to amplify (docs/security.md)
        key = server_key(request)  # matched here, and the key of a new transaction (§17.2.3)
        transaction = self.table.receive_request(request, key, now)
        if transaction is not None:
            self._drain_server(transaction, self._served.get(transaction))
        elif request.method == "ACK":
            self._ack(request, received)
        elif request.method == "CANCEL":
            self._cancel(request, received, now, key)
        else:
            self._new(request, received, now, key)

    def _new(self, request: Request, received: Received, now: float, key: ServerTxKey) -> None:
        transaction = self._open(request, received, now, key)
        if self.core is None:
            self.respond(transaction, build_response(request, 503, "Starting Up"))
            return
        self.core.handle(request, received, transaction)

    def _open(self, request: Request, received: Received, now: float, key: ServerTxKey) -> ServerTx:
        reliable = received.source.reliable
        transaction = server_transaction(
            request, reliable=reliable, now=now, config=self.timers, key=key
        )
        self.table.add(transaction)
        served = _Served(received, now)
        self._served[transaction] = served
        self._drain_server(transaction, served)
        return transaction

    def _ack(self, ack: Request, received: Received) -> None:
        if self.core is None:
            self.counters.count("ack_without_transaction")
            return
        self.core.handle_ack(ack, received)

    def _cancel(self, cancel: Request, received: Received, now: float, key: ServerTxKey) -> None:
        """§9.2 and §16.10: 200 to a CANCEL whose INVITE transaction is found, else 481."""
        target = self.table.match_cancel(cancel)
        own = self._open(cancel, received, now, key)
        if target is None:
            self.respond(own, build_response(cancel, 481, "Call/Transaction Does Not Exist"))
            return
        self.respond(own, build_response(cancel, 200))
        if self.cdr is not None:
            self.cdr.cancel(cancel.call_id)
        if target.last_response is not None and target.last_response.status >= 200:
            return
        if self.core is None or not self.core.cancelled(target):
            self.respond(target, build_response(target.request, 487, "Request Terminated"))

    def on_handoff(self, received: Received) -> None:
        """A message another worker received for this one (no second HEP copy)."""
        now = self.now()
        holding, self._holding = self._holding, True
        try:
            if isinstance(received.message, Response):
                self._response(received.message, received, now)
            else:
                self._request(received.message, received, now)
        finally:
            self._holding = holding
            if not holding:
                self._rearm()

    def _response(self, response: Response, received: Received, now: float) -> None:
        if self.handoff is not None:
            owner = worker_of(response.top_via.branch)
            if owner is not None and owner != self.worker:
                self.handoff(owner, received)  # its client transaction lives there
                return
        transaction = self.table.receive(response, now)
        if transaction is not None:
            self._drain_client(transaction)
        elif self.core is not None:
            self.core.handle_stray(response, received)  # §16.7 step 1 / §16.11
        else:
            self.counters.count("stray_response")

    # ----- output: server side --------------------------------------------------------------
    def respond(self, transaction: ServerTx, response: Response) -> bool:
        """The core answers `transaction` (§17.2.1, §17.2.2). After a final answer only more
        2xx to an INVITE may follow (RFC 6026 §7.1, Accepted state); a late answer to a
        transaction that ended (timed out, cancelled, answered) is not sent: counted, and
        False returned (a proxy then sends a late 2xx statelessly, RFC 6026 §8.2)."""
        if transaction not in self.table or not self._may_answer(transaction, response):
            self.counters.count("late_response")
            return False
        served = self._served.get(transaction)
        if served is not None and served.reply_to is None and served.received.connection is None:
            # Before the answer: a final one makes the transaction drop the request's parsed
            # views (Transaction._linger), the top Via among them.
            served.reply_to = response_destination(transaction.request.top_via, None, False)
        now = self.now()
        self.table.send_response(transaction, response, now)
        if response.status >= 200:
            self._outcome(transaction, response, served, now)
        if self.cdr is not None and transaction.request.method == "INVITE":
            self.cdr.response(transaction.request, response)
        if self.metrics is not None:
            transport = served.received.source.transport if served is not None else "UDP"
            self.metrics.response(response.status, transport, transaction.request.method)
        self._drain_server(transaction, served)
        if not self._holding:
            self._rearm()
        return True

    def _outcome(
        self, transaction: ServerTx, response: Response, served: _Served | None, now: float
    ) -> None:
        """One structured line per transaction outcome, keyed by Call-ID (docs/running.md)."""
        opened = None
        if served is not None:
            opened, served.opened = served.opened, None
        if not OUTCOMES.isEnabledFor(logging.INFO):
            return
        request = transaction.request
        elapsed = 0.0 if opened is None else (now - opened) * 1000
        source = "" if served is None else str(served.received.source)
        fields = outcome_fields(
            request.call_id, request.method, response.status, response.reason, source, elapsed
        )
        log_outcome(OUTCOMES, fields)

    @staticmethod
    def _may_answer(transaction: ServerTx, response: Response) -> bool:
        last = transaction.last_response
        if last is None or last.status < 200:
            return True
        both_2xx = 200 <= last.status < 300 and 200 <= response.status < 300
        return isinstance(transaction, InviteServerTransaction) and both_2xx

    # ----- output: client side --------------------------------------------------------------
    def send_request(
        self, request: Request, destination: Destination, owner: BranchOwner
    ) -> ClientTx:
        """Start a client transaction for `request` towards `destination` (§17.1); its
        responses, timeout or transport error go to `owner`."""
        reliable = destination.address.reliable
        now = self.now()
        transaction = client_transaction(request, reliable=reliable, now=now, config=self.timers)
        self.table.add(transaction)
        self._sent[transaction] = _Sent(transaction, destination, owner)
        self._drain_client(transaction)
        if not self._holding:
            self._rearm()
        return transaction

    def send_stateless(self, data: bytes, destination: Destination) -> None:
        """Send without a transaction: an ACK for a 2xx, a 2xx retransmission (§16.11)."""
        self.sender.send(data, destination)

    def send_failed(self, data: bytes) -> None:
        """The transports could not deliver `data`: if it was a request of one of our client
        transactions, that transaction gets its transport error (§17.1.1.2, §17.1.2.2)."""
        try:
            message = parse_datagram(data)
            key = client_key(message) if isinstance(message, Request) else None
            owner = worker_of(message.top_via.branch) if key is not None else None
        except ParseError:
            return
        if owner is not None and owner != self.worker and self.handoff_failed is not None:
            self.handoff_failed(owner, data)  # worker 0 sent it for worker `owner`
            return
        transaction = self.table.get(key) if key is not None else None
        if isinstance(transaction, ClientTransaction):
            self.table.transport_error(transaction, self.now())
            self._drain_client(transaction)
            if not self._holding:
                self._rearm()

    # ----- events ---------------------------------------------------------------------------
    def _drain(self, transaction: Transaction) -> None:
        """Carry out what `transaction` emitted, whichever side it is on."""
        sent = self._sent.get(transaction)
        if sent is not None:
            self._drain_sent(transaction, sent)
        else:
            self._drain_server(transaction, self._served.get(transaction))

    def _drain_client(self, transaction: Transaction) -> None:
        """A client transaction's requests go to its destination, its outcome to its owner
        (responses §17.1.3, Timer B/F, transport errors); the record goes when it ends."""
        self._drain_sent(transaction, self._sent.get(transaction))

    def _drain_sent(self, transaction: Transaction, sent: _Sent | None) -> None:
        """`_drain_client` with the transaction's record (None: not ours)."""
        if sent is None:  # not ours: nothing to send it to, nobody to tell
            while transaction.next_event() is not None:
                pass
            return
        while (event := transaction.next_event()) is not None:
            if isinstance(event, Send):
                self.sender.send(event.data, sent.destination)
            elif isinstance(event, ResponseReceived):
                sent.owner.on_branch_response(sent.transaction, event.response)
            elif isinstance(event, TimedOut):
                sent.owner.on_branch_timeout(sent.transaction, event.response)
            elif isinstance(event, TransportError):
                sent.owner.on_branch_error(sent.transaction)
        if transaction.terminated:
            self._sent.pop(transaction, None)

    def _drain_server(self, transaction: Transaction, served: _Served | None) -> None:
        """A server transaction's responses go back per §18.2.2; an ACK it passes up in
        Accepted goes to the core; the record goes when it ends."""
        while (event := transaction.next_event()) is not None:
            if isinstance(event, Send):
                if served is not None:
                    self._reply(transaction, served, event.data)
            elif isinstance(event, RequestReceived) and event.request.method == "ACK":
                self._accepted_ack(event.request, served)
        if transaction.terminated:
            self._served.pop(transaction, None)

    def _accepted_ack(self, ack: Request, served: _Served | None) -> None:
        """An ACK matched an INVITE server transaction in Accepted (RFC 6026 §8.7): the ACK
        of a 2xx, which the core routes like any ACK without a transaction (§16.11)."""
        if self.core is not None and served is not None:
            self.core.handle_ack(ack, served.received)

    def _reply(self, transaction: Transaction, served: _Served, data: bytes) -> None:
        """§18.2.2: over the request's connection while it is open, else to the Via's
        address (which, without a connection, is worked out once per transaction)."""
        destination = served.reply_to
        if destination is None:
            connection = served.received.connection
            is_open = connection is not None and self.sender.is_open(connection)
            destination = response_destination(transaction.request.top_via, connection, is_open)
            if connection is None:
                served.reply_to = destination
        self.sender.send(data, destination)

    # ----- timers --------------------------------------------------------------------------
    def _rearm(self) -> None:
        """Arm the loop timer for the table's earliest deadline, rounded up to the grain's
        grid (never early); an armed timer that fires no later is kept."""
        deadline = self.table.next_deadline()
        if deadline is None:
            return
        grain = self._grain
        when = math.ceil(deadline / grain) * grain
        if when < deadline:  # float rounding: the next grid point then
            when += grain
        if self._deadline is not None and self._deadline <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._deadline = when
        self._timer = self._running().call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._deadline = None
        holding, self._holding = self._holding, True
        try:
            for transaction in self.table.on_timeout(self.now()):
                self._drain(transaction)
        finally:
            self._holding = holding
            if not holding:
                self._rearm()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
