"""TransactionTable: matching, lifetime and deadline aggregation over many transactions."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError
from sipwarden.sip import build_response
from sipwarden.transaction import (
    InviteClientTransaction,
    InviteServerTransaction,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    RequestReceived,
    ResponseReceived,
    State,
    TransactionTable,
    build_ack,
    server_key,
    server_transaction,
)
from tests.unit.transaction.helpers import drain, kinds, make_request, reparse, respond


def client(
    branch: str, now: float, *, method: str = "OPTIONS", reliable: bool = False
) -> NonInviteClientTransaction | InviteClientTransaction:
    cls = InviteClientTransaction if method == "INVITE" else NonInviteClientTransaction
    return cls(make_request(method, branch=branch), reliable=reliable, now=now)


def test_empty_table_has_no_deadline() -> None:
    table = TransactionTable()
    assert table.next_deadline() is None and table.on_timeout(100.0) == [] and len(table) == 0


def test_next_deadline_is_the_earliest_of_all() -> None:
    table = TransactionTable()
    txs = [client(f"z9hG4bK{i}", now) for i, now in enumerate([3.0, 1.0, 2.0])]
    for tx in txs:
        table.add(tx)
    assert table.next_deadline() == 1.5
    assert len(table) == 3 and all(tx in table for tx in txs)


def test_on_timeout_dispatches_only_to_due_transactions() -> None:
    table = TransactionTable()
    early, late = client("z9hG4bKe", 0.0), client("z9hG4bKl", 10.0)
    table.add(early)
    table.add(late)
    drain(early), drain(late)
    assert table.on_timeout(0.4999) == []
    assert table.on_timeout(0.5) == [early]
    assert kinds(drain(early)) == ("Send",) and drain(late) == []
    assert table.next_deadline() == 1.5


def test_on_timeout_catches_up_in_deadline_order_once_per_transaction() -> None:
    table = TransactionTable()
    a, b = client("z9hG4bKa", 0.0), client("z9hG4bKb", 0.2)
    table.add(a)
    table.add(b)
    assert table.on_timeout(0.8) == [a, b]
    assert table.next_deadline() == 1.8  # §17.1.2.2: Timer E is reset when it fires


def test_rescheduling_follows_the_transaction() -> None:
    table = TransactionTable()
    tx = client("z9hG4bKx", 0.0, method="INVITE")
    other = client("z9hG4bKy", 5.0)
    table.add(tx)
    table.add(other)
    assert table.next_deadline() == 0.5
    assert table.receive(respond(tx.request, 180), 0.1) is tx  # Timer A and B stop
    assert table.next_deadline() == 5.5
    assert table.receive(respond(tx.request, 486), 0.2) is tx  # Timer D starts
    assert tx.state is State.COMPLETED and table.next_deadline() == 5.5
    table.on_timeout(32.2)
    assert tx not in table and other in table  # Timer D fired at 0.2 + 32
    table.on_timeout(37.0)
    assert len(table) == 0  # Timer F of `other` at 5 + 32


def test_terminated_transactions_leave_the_table() -> None:
    table = TransactionTable()
    tx = client("z9hG4bKt", 0.0, reliable=True)
    table.add(tx)
    assert table.receive(respond(tx.request, 200), 1.0) is tx
    assert tx.terminated and tx not in table and len(table) == 0
    assert kinds(drain(tx)) == ("Send", "ResponseReceived", "Terminated")
    assert table.receive(respond(tx.request, 200), 1.1) is None  # a stray: to the core
    assert table.next_deadline() is None


def test_timeouts_remove_what_they_terminate() -> None:
    table = TransactionTable()
    tx = client("z9hG4bKf", 0.0, reliable=True)
    table.add(tx)
    assert table.on_timeout(32.0) == [tx]
    assert len(table) == 0 and kinds(drain(tx))[-2:] == ("TimedOut", "Terminated")


def test_duplicate_keys_are_refused() -> None:
    table = TransactionTable()
    table.add(client("z9hG4bKd", 0.0))
    with pytest.raises(LocalError):
        table.add(client("z9hG4bKd", 0.0))


def test_inputs_for_unknown_transactions_are_refused() -> None:
    table = TransactionTable()
    stranger = NonInviteServerTransaction(make_request("OPTIONS"), reliable=False, now=0.0)
    with pytest.raises(LocalError):
        table.send_response(stranger, build_response(stranger.request, 200), 0.1)
    with pytest.raises(LocalError):
        table.transport_error(stranger, 0.1)


def test_responses_go_to_client_and_requests_to_server_transactions() -> None:
    table = TransactionTable()
    request = make_request("OPTIONS")
    uac = NonInviteClientTransaction(request, reliable=False, now=0.0)
    uas = NonInviteServerTransaction(reparse(request), reliable=False, now=0.0)
    table.add(uac)
    table.add(uas)  # same branch, different side: different keys
    ok = respond(request, 200)
    assert table.match_response(ok) is uac and table.match_request(reparse(request)) is uas
    assert table.receive(ok, 0.1) is uac and ResponseReceived(ok) in drain(uac)
    assert table.receive(reparse(request), 0.1) is uas


def test_server_retransmission_and_ack_route_through_the_table() -> None:
    table = TransactionTable()
    ist = InviteServerTransaction(make_request("INVITE"), reliable=False, now=0.0)
    table.add(ist)
    table.send_response(ist, build_response(ist.request, 486, to_tag="t"), 0.1)
    drain(ist)
    assert table.receive(reparse(ist.request), 0.2) is ist
    assert kinds(drain(ist)) == ("Send",)
    assert ist.last_response is not None
    assert table.receive(build_ack(ist.request, ist.last_response), 0.3) is ist
    assert ist.state is State.CONFIRMED and table.next_deadline() == 5.3


def test_cancel_finds_its_invite_transaction() -> None:
    table = TransactionTable()
    ist = InviteServerTransaction(make_request("INVITE"), reliable=False, now=0.0)
    table.add(ist)
    cancel = make_request("CANCEL")
    assert table.match_request(cancel) is None  # a CANCEL is a new transaction ...
    assert table.match_cancel(cancel) is ist  # ... that names the INVITE's (§9.2)
    cancel_tx = NonInviteServerTransaction(cancel, reliable=False, now=0.1)
    table.add(cancel_tx)
    assert table.match_request(reparse(cancel)) is cancel_tx
    assert table.match_cancel(make_request("CANCEL", branch="z9hG4bKother")) is None
    assert table.match_cancel(make_request("CANCEL", sent_by="evil.example")) is None


def test_cancel_of_a_non_invite_finds_nothing() -> None:
    table = TransactionTable()
    table.add(NonInviteServerTransaction(make_request("OPTIONS"), reliable=False, now=0.0))
    assert table.match_cancel(make_request("CANCEL")) is None


def test_legacy_ack_finds_the_invite_by_the_to_tag_it_was_answered_with() -> None:
    table = TransactionTable()
    invite = make_request("INVITE", branch=None)
    ist = InviteServerTransaction(invite, reliable=False, now=0.0)
    table.add(ist)
    busy = build_response(invite, 486, to_tag="uas-tag")
    wrong = build_ack(invite, respond(invite, 486, to_tag="other-tag"))
    assert table.match_request(build_ack(invite, busy)) is None  # no final response yet
    table.send_response(ist, busy, 0.1)
    assert table.match_request(wrong) is None
    assert table.receive(build_ack(invite, busy), 0.2) is ist
    assert ist.state is State.CONFIRMED
    assert table.receive(reparse(invite), 0.3) is ist  # INVITE retransmission, absorbed
    table.on_timeout(5.2)
    assert len(table) == 0 and table.match_request(build_ack(invite, busy)) is None


def test_legacy_acks_for_each_2xx_are_passed_up_in_accepted() -> None:
    table = TransactionTable()
    invite = make_request("INVITE", branch="abc")
    ist = InviteServerTransaction(invite, reliable=False, now=0.0)
    table.add(ist)
    for tag in ("fork1", "fork2"):
        table.send_response(ist, build_response(invite, 200, to_tag=tag), 0.1)
    drain(ist)
    for tag in ("fork1", "fork2"):
        ack = build_ack(invite, build_response(invite, 200, to_tag=tag))
        assert table.receive(ack, 0.2) is ist
        assert drain(ist) == [RequestReceived(ack)]


def test_heap_stays_bounded_under_rescheduling() -> None:
    """Entries made stale by rescheduling are compacted away even when none reaches the top."""
    table = TransactionTable()
    anchor = client("z9hG4bKanchor", -0.2)  # its Timer E (0.3) stays at the top of the heap
    table.add(anchor)
    for i in range(200):
        tx = client(f"z9hG4bK{i}", 0.0, method="INVITE")
        table.add(tx)
        table.receive(respond(tx.request, 180), 0.1)  # Timers A and B stop: entry goes stale
    assert len(table) == 201 and table.next_deadline() == 0.3
    assert len(table._heap) <= 2 * 1 + 64 + 1
    assert table.on_timeout(0.3) == [anchor]


def test_iteration_and_get() -> None:
    table = TransactionTable()
    tx = client("z9hG4bKg", 0.0)
    table.add(tx)
    assert list(table) == [tx] and table.get(tx.key) is tx
    table.remove(tx)
    table.remove(tx)
    assert table.get(tx.key) is None and table.next_deadline() is None


def test_transport_error_through_the_table_removes_the_transaction() -> None:
    table = TransactionTable()
    tx = client("z9hG4bKerr", 0.0, method="INVITE")
    table.add(tx)
    table.transport_error(tx, 0.1)
    assert kinds(drain(tx))[-2:] == ("TransportError", "Terminated")
    assert len(table) == 0 and table.next_deadline() is None


def test_a_request_key_computed_once_serves_matching_and_the_new_transaction() -> None:
    """The dispatcher computes a request's server key once: to match it, and, when it matches
    nothing, to open its transaction with (`server_transaction(..., key=key)`)."""
    table = TransactionTable()
    request = make_request("INVITE")
    key = server_key(request)
    assert table.receive_request(request, key, 0.0) is None
    ist = server_transaction(request, reliable=False, now=0.0, key=key)
    assert ist.key is key
    table.add(ist)
    again = reparse(request)
    assert table.receive_request(again, server_key(again), 0.1) is ist
    assert server_transaction(make_request("OPTIONS"), reliable=False, now=0.0).key == server_key(
        make_request("OPTIONS")
    )
