"""A transaction that only absorbs retransmissions (Completed, Confirmed; RFC 3261 §17) keeps
its messages without their parsed views: thousands of them are alive at once under load (at
1,000 REGISTER/s, 32 s of Timer J), and the views are most of their memory. What it does is
unchanged: a retransmission still gets the same bytes, and the messages still read the same."""

from __future__ import annotations

import tracemalloc

from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.transaction import Send
from sipwarden.transaction.client import NonInviteClientTransaction
from sipwarden.transaction.server import InviteServerTransaction, NonInviteServerTransaction
from tests.unit.transaction.helpers import drain, make_request, reparse, respond


def _read(message: Request | Response) -> tuple[object, ...]:
    """What a proxy or registrar reads of a message."""
    return (
        [str(v) for v in message.vias],
        message.from_.uri,
        message.to.uri,
        message.call_id,
        message.cseq,
        [str(c) for c in message.contacts],
        [str(r) for r in message.routes],
    )


def _completed_server(branch: str) -> NonInviteServerTransaction:
    tx = NonInviteServerTransaction(make_request("REGISTER"), reliable=False, now=0.0)
    request = tx.request
    _read(request)
    response = build_response(request, 200, to_tag="t1")
    _read(response)
    tx.send_response(response, 0.1)
    return tx


def test_a_completed_server_transaction_answers_and_reads_the_same() -> None:
    tx = NonInviteServerTransaction(make_request("REGISTER"), reliable=False, now=0.0)
    before = _read(tx.request)
    response = build_response(tx.request, 200, to_tag="t1")
    answered = _read(response)
    tx.send_response(response, 0.1)
    sent = [e.data for e in drain(tx) if isinstance(e, Send)]
    tx.receive(reparse(tx.request), 1.0)
    again = [e.data for e in drain(tx) if isinstance(e, Send)]
    assert again == sent[-1:]
    assert _read(tx.request) == before
    assert tx.last_response is not None and _read(tx.last_response) == answered


def test_completed_server_transactions_keep_well_under_half_the_memory() -> None:
    """The memory per completed transaction is compared with the same transaction whose views
    are read again after completion (what it held before the views were dropped)."""

    def per_transaction(read_again: bool) -> float:
        tracemalloc.start()
        try:
            kept = [_completed_server(f"b{n}") for n in range(300)]
            if read_again:
                for tx in kept:
                    _read(tx.request)
                    assert tx.last_response is not None
                    _read(tx.last_response)
            size = tracemalloc.get_traced_memory()[0] / len(kept)
        finally:
            tracemalloc.stop()
        return size

    lean, full = per_transaction(False), per_transaction(True)
    assert lean < 0.6 * full, (lean, full)


def test_an_invite_server_transaction_still_absorbs_the_ack_after_a_failure() -> None:
    request = make_request("INVITE")
    tx = InviteServerTransaction(request, reliable=False, now=0.0)
    _read(tx.request)
    tx.send_response(build_response(tx.request, 486, to_tag="t1"), 0.1)
    drain(tx)
    ack = parse_datagram(request.serialize().replace(b"INVITE", b"ACK"))
    assert isinstance(ack, Request)
    tx.receive(ack, 0.2)  # matched by the key kept, not by the dropped views
    assert tx.state.name == "CONFIRMED"


def test_a_completed_client_transaction_reads_its_request_the_same() -> None:
    tx = NonInviteClientTransaction(make_request("OPTIONS"), reliable=False, now=0.0)
    before = _read(tx.request)
    tx.receive(respond(tx.request, 200), 0.1)
    assert tx.state.name == "COMPLETED"
    assert _read(tx.request) == before
