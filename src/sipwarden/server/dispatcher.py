"""The transaction user's front door: transports in, server transactions, responses out.

How this works: every good message from a transport lands in `on_message`. A request that
matches a live server transaction is a retransmission (or the ACK of a non-2xx) and is absorbed
by it (RFC 3261 §17.2.3); a CANCEL is answered here (§9.2); any other request gets a new server
transaction and goes to the `Core`, which answers through `respond`, at once or after awaiting a
store. Whatever the transactions emit (responses, retransmissions) is sent per §18.2.2: over the
connection the request came on while it is open, else to the Via's received/rport. One
`loop.call_at` is kept armed for the table's earliest deadline (STYLE 5).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sipwarden.sip import Request, Response, build_response
from sipwarden.transaction import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    Send,
    TimerConfig,
    TransactionTable,
    server_transaction,
)
from sipwarden.transaction.base import Transaction
from sipwarden.transport.address import Destination, Received
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.routing import response_destination

log = logging.getLogger(__name__)
ServerTx = InviteServerTransaction | NonInviteServerTransaction


class Sender(Protocol):
    """What the dispatcher needs from the transports."""

    def send(self, data: bytes, destination: Destination) -> None: ...

    def is_open(self, connection: int) -> bool: ...


class Core(Protocol):
    """The transaction user: answers each new request through `Dispatcher.respond`."""

    def handle(self, request: Request, received: Received, transaction: ServerTx) -> None: ...


class Dispatcher:
    """Owns the transaction table and the one timer; routes messages to the core."""

    def __init__(self, sender: Sender, timers: TimerConfig) -> None:
        self.sender = sender
        self.timers = timers
        self.table = TransactionTable()
        self.counters = DropCounters()
        self.core: Core | None = None
        self._origin: dict[Transaction, Received] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    # ----- input ---------------------------------------------------------------------------
    def on_message(self, received: Received) -> None:
        """One message from a transport (already parsed, validated and Via-stamped)."""
        message = received.message
        now = self.now()
        if isinstance(message, Response):
            self._stray_response(message, received)
        else:
            self._request(message, received, now)
        self._rearm()

    def _request(self, request: Request, received: Received, now: float) -> None:
        transaction = self.table.receive(request, now)
        if transaction is not None:
            self._drain(transaction)
        elif request.method == "ACK":
            self.counters.count("ack_without_transaction")  # a 2xx ACK: proxying is issue #5
        elif request.method == "CANCEL":
            self._cancel(request, received, now)
        else:
            self._new(request, received, now)

    def _new(self, request: Request, received: Received, now: float) -> None:
        transaction = self._open(request, received, now)
        if self.core is None:
            self.respond(transaction, build_response(request, 503, "Starting Up"))
            return
        self.core.handle(request, received, transaction)

    def _open(self, request: Request, received: Received, now: float) -> ServerTx:
        reliable = received.source.reliable
        transaction = server_transaction(request, reliable=reliable, now=now, config=self.timers)
        self.table.add(transaction)
        self._origin[transaction] = received
        self._drain(transaction)
        return transaction

    def _cancel(self, cancel: Request, received: Received, now: float) -> None:
        """§9.2: 200 to the CANCEL when its INVITE transaction is found, else 481; the INVITE,
        if still unanswered, then ends with 487 (§9.2: "SHOULD ... respond ... with a 487")."""
        target = self.table.match_cancel(cancel)
        own = self._open(cancel, received, now)
        if target is None:
            self.respond(own, build_response(cancel, 481, "Call/Transaction Does Not Exist"))
            return
        self.respond(own, build_response(cancel, 200))
        if target.last_response is None or target.last_response.status < 200:
            self.respond(target, build_response(target.request, 487, "Request Terminated"))

    def _stray_response(self, response: Response, received: Received) -> None:
        transaction = self.table.receive(response, self.now())
        if transaction is None:
            # §18.1.2: a response matching no client transaction is for the core, and this
            # element sends no requests yet (proxying arrives with issue #5): drop, counted.
            self.counters.count("stray_response")
            log.debug("stray response %s from %s", response.status, received.source)
        else:
            self._drain(transaction)

    # ----- output --------------------------------------------------------------------------
    def respond(self, transaction: ServerTx, response: Response) -> None:
        """The core answers `transaction` (§17.2.1, §17.2.2); a late answer to a transaction
        that already ended (it timed out or was cancelled) is dropped and counted."""
        if transaction not in self.table:
            self.counters.count("late_response")
            return
        if transaction.last_response is not None and transaction.last_response.status >= 200:
            self.counters.count("late_response")
            return
        self.table.send_response(transaction, response, self.now())
        self._drain(transaction)
        self._rearm()

    def _drain(self, transaction: Transaction) -> None:
        while (event := transaction.next_event()) is not None:
            if isinstance(event, Send):
                self._send(transaction, event.data)
        if transaction.terminated:
            self._origin.pop(transaction, None)

    def _send(self, transaction: Transaction, data: bytes) -> None:
        received = self._origin.get(transaction)
        if received is None:
            return
        connection = received.connection
        is_open = connection is not None and self.sender.is_open(connection)
        destination = response_destination(transaction.request.top_via, connection, is_open)
        self.sender.send(data, destination)

    # ----- timers --------------------------------------------------------------------------
    def _rearm(self) -> None:
        deadline = self.table.next_deadline()
        if deadline is None or (self._deadline is not None and self._deadline <= deadline):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._deadline = deadline
        self._timer = asyncio.get_running_loop().call_at(deadline, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._deadline = None
        for transaction in self.table.on_timeout(self.now()):
            self._drain(transaction)
        self._rearm()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
