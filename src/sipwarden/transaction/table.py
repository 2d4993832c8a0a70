"""All live transactions of one element: matching, lifetime and one aggregated deadline.

How this works: transactions are kept in a dict by key (`matching.py`); an INVITE server
transaction answering an RFC 2543 client also gets an alias key per final response, so the ACK
that carries that response's To tag finds it (§17.2.3). Inputs go through the table
(`receive`, `send_response`, `transport_error`, `on_timeout`) so that after each one it can
re-read the transaction's `next_deadline()` and drop it once terminated (§17: destroyed the
instant it enters "Terminated"). Deadlines sit in a heap with lazy deletion: each push gets a
sequence number, and an entry is live only while it is the transaction's latest one, so
rescheduling is O(log n) and `on_timeout` touches only the transactions that are due. The
latest push of a transaction is recorded on the transaction itself (`table_at`, `table_seq`,
which only the table writes) rather than in a dict of its own: one lookup and one tuple less
for every message a transaction handles.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from sipwarden.errors import LocalError
from sipwarden.sip import Request, Response
from sipwarden.transaction.client import InviteClientTransaction, NonInviteClientTransaction
from sipwarden.transaction.matching import (
    LegacyServerKey,
    ServerKey,
    TransactionKey,
    cancel_target_key,
    legacy_ack_key,
    response_key,
    server_key,
)
from sipwarden.transaction.server import InviteServerTransaction, NonInviteServerTransaction

ClientTransactions = InviteClientTransaction | NonInviteClientTransaction
ServerTransactions = InviteServerTransaction | NonInviteServerTransaction
AnyTransaction = ClientTransactions | ServerTransactions


class TransactionTable:
    """Live client and server transactions, found by key, timed by one heap."""

    def __init__(self) -> None:
        self._by_key: dict[TransactionKey, AnyTransaction] = {}
        self._keys: dict[AnyTransaction, list[TransactionKey]] = {}
        self._heap: list[tuple[float, int, AnyTransaction]] = []
        self._armed = 0  # transactions with a live heap entry (table_seq != 0)
        self._seq = 0

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[AnyTransaction]:
        return iter(list(self._keys))

    def __contains__(self, transaction: object) -> bool:
        return transaction in self._keys

    def get(self, key: TransactionKey) -> AnyTransaction | None:
        return self._by_key.get(key)

    # ----- lifetime -----------------------------------------------------------------------
    def add(self, transaction: AnyTransaction) -> None:
        """Register a new transaction; LocalError if its key is taken (match first)."""
        key = transaction.key
        taken = self._by_key.setdefault(key, transaction) is not transaction  # one hash of key
        if taken or transaction in self._keys:
            raise LocalError(f"a transaction with key {key} already exists")
        self._keys[transaction] = [key]
        self._update(transaction)

    def remove(self, transaction: AnyTransaction) -> None:
        """Forget a transaction and every key it had (no-op if unknown)."""
        keys = self._keys.pop(transaction, None)
        if keys is None:
            return
        for key in keys:
            if self._by_key.get(key) is transaction:
                del self._by_key[key]
        if transaction.table_seq:
            transaction.table_seq = 0
            self._armed -= 1

    # ----- matching -----------------------------------------------------------------------
    def match_response(self, response: Response) -> ClientTransactions | None:
        """The client transaction of a response (§17.1.3), or None: then it goes to the core."""
        key = response_key(response)
        found = None if key is None else self._by_key.get(key)
        if isinstance(found, InviteClientTransaction | NonInviteClientTransaction):
            return found
        return None

    def match_request(
        self, request: Request, key: ServerKey | LegacyServerKey | None = None
    ) -> ServerTransactions | None:
        """The server transaction of a request (§17.2.3): a retransmission, or an ACK of an
        INVITE transaction. None means a new request (or an ACK for a 2xx, RFC 6026 §8.9).
        `key` is the request's `server_key`, when the caller has it already."""
        found = self._by_key.get(server_key(request) if key is None else key)
        if isinstance(found, InviteServerTransaction | NonInviteServerTransaction):
            return found
        return None

    def match_cancel(self, cancel: Request) -> InviteServerTransaction | None:
        """The INVITE server transaction a CANCEL refers to (§9.2), or None (then: 481)."""
        found = self._by_key.get(cancel_target_key(cancel))
        return found if isinstance(found, InviteServerTransaction) else None

    # ----- inputs -------------------------------------------------------------------------
    def receive(self, message: Request | Response, now: float) -> AnyTransaction | None:
        """Hand a message to the transaction it matches; None when it matches none."""
        if isinstance(message, Response):
            client = self.match_response(message)
            if client is not None:
                client.receive(message, now)
                self._update(client)
            return client
        return self.receive_request(message, server_key(message), now)

    def receive_request(
        self, request: Request, key: ServerKey | LegacyServerKey, now: float
    ) -> ServerTransactions | None:
        """`receive` for a request whose `server_key` the caller has: it needs the key again to
        open the transaction when none matches (`server_transaction(..., key=key)`)."""
        server = self.match_request(request, key)
        if server is not None:
            server.receive(request, now)
            self._update(server)
        return server

    def send_response(
        self, transaction: ServerTransactions, response: Response, now: float
    ) -> None:
        """The TU answers through `transaction` (§17.2.1, §17.2.2)."""
        self._known(transaction)
        transaction.send_response(response, now)
        if response.status >= 200 and isinstance(transaction, InviteServerTransaction):
            self._alias_legacy_ack(transaction, response)
        self._update(transaction)

    def transport_error(self, transaction: AnyTransaction, now: float) -> None:
        """Sending a message of `transaction` failed."""
        self._known(transaction)
        transaction.transport_error(now)
        self._update(transaction)

    def on_timeout(self, now: float) -> list[AnyTransaction]:
        """Fire what is due at `now`; return the transactions that fired, to drain them."""
        fired: list[AnyTransaction] = []
        while (top := self._live_top()) is not None and top[0] <= now:
            transaction = heapq.heappop(self._heap)[2]
            transaction.table_seq = 0
            self._armed -= 1
            transaction.on_timeout(now)
            self._update(transaction)
            fired.append(transaction)
        return fired

    def next_deadline(self) -> float | None:
        """The earliest deadline of all transactions, or None."""
        top = self._live_top()
        return None if top is None else top[0]

    # ----- internals ----------------------------------------------------------------------
    def _known(self, transaction: AnyTransaction) -> None:
        if transaction not in self._keys:
            raise LocalError(f"{transaction!r} is not in this table")

    def _alias_legacy_ack(self, transaction: InviteServerTransaction, response: Response) -> None:
        """§17.2.3: an RFC 2543 ACK is matched by the To tag of the response it acknowledges."""
        if not isinstance(transaction.key, LegacyServerKey) or transaction.terminated:
            return
        key = legacy_ack_key(transaction.request, response.to.tag)
        if key not in self._by_key:
            self._by_key[key] = transaction
            self._keys[transaction].append(key)

    def _update(self, transaction: AnyTransaction) -> None:
        if transaction.terminated:
            self.remove(transaction)
            return
        deadline = transaction.next_deadline()
        if deadline is None:
            if transaction.table_seq:
                transaction.table_seq = 0
                self._armed -= 1
        elif not transaction.table_seq or transaction.table_at != deadline:
            if not transaction.table_seq:
                self._armed += 1
            seq = self._seq = self._seq + 1
            transaction.table_seq = seq
            transaction.table_at = deadline
            heapq.heappush(self._heap, (deadline, seq, transaction))
            self._compact()

    def _live_top(self) -> tuple[float, int, AnyTransaction] | None:
        heap = self._heap
        while heap:
            top = heap[0]
            if top[2].table_seq == top[1]:  # its latest push: live
                return top
            heapq.heappop(heap)
        return None

    def _compact(self) -> None:
        """Rebuild the heap when stale entries outnumber live ones (bounded memory)."""
        if len(self._heap) > 2 * self._armed + 64:
            self._heap = [(t.table_at, t.table_seq, t) for t in self._keys if t.table_seq]
            heapq.heapify(self._heap)
