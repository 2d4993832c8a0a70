"""Server transactions (RFC 3261 §17.2, RFC 6026 §7.1): 100 Trying, absorption, timers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sipwarden.errors import LocalError
from sipwarden.sip import Response, build_response, parse_datagram
from sipwarden.transaction import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    RequestReceived,
    Send,
    State,
    Terminated,
    TimedOut,
    Timer,
    TransportError,
    server_transaction,
)
from tests.unit.transaction.helpers import ack_for, drain, kinds, make_request, reparse


def invite_tx(*, reliable: bool = False, now: float = 0.0) -> InviteServerTransaction:
    tx = InviteServerTransaction(make_request("INVITE"), reliable=reliable, now=now)
    assert drain(tx) == [RequestReceived(tx.request)]
    return tx


def options_tx(*, reliable: bool = False) -> NonInviteServerTransaction:
    tx = NonInviteServerTransaction(make_request("OPTIONS"), reliable=reliable, now=0.0)
    assert drain(tx) == [RequestReceived(tx.request)]
    return tx


def answer(tx: InviteServerTransaction | NonInviteServerTransaction, status: int) -> Response:
    return build_response(tx.request, status, to_tag="uas1")


def wire(events: Sequence[object]) -> list[bytes]:
    return [e.data for e in events if isinstance(e, Send)]


# ----- 100 (Trying) ---------------------------------------------------------------------------
def test_100_trying_after_200_ms_not_before() -> None:
    tx = invite_tx()
    assert tx.next_deadline() == 0.2
    tx.on_timeout(0.1999)
    assert drain(tx) == []
    tx.on_timeout(0.2)
    [sent] = wire(drain(tx))
    trying = parse_datagram(sent)
    assert isinstance(trying, Response) and trying.status == 100
    assert trying.to.tag is None  # §17.2.1: SHOULD NOT add a To tag
    assert trying.top_via.branch == tx.request.top_via.branch
    assert tx.next_deadline() is None


def test_100_trying_is_sent_over_tcp_too() -> None:
    tx = invite_tx(reliable=True)
    tx.on_timeout(0.2)
    assert len(wire(drain(tx))) == 1


@pytest.mark.parametrize("status", [180, 183, 486, 200])
def test_no_100_trying_when_the_tu_answered_within_200_ms(status: int) -> None:
    tx = invite_tx()
    tx.send_response(answer(tx, status), 0.1)
    assert wire(drain(tx)) == [answer(tx, status).serialize()]
    tx.on_timeout(0.2)
    assert not [e for e in drain(tx) if isinstance(e, Send) and b" 100 " in e.data[:12]]
    assert Timer.TIMER_TRYING not in tx.timers


def test_100_trying_timer_runs_from_creation() -> None:
    tx = invite_tx(now=50.0)
    assert tx.timers == {Timer.TIMER_TRYING: 50.2}


# ----- absorbing retransmitted requests -------------------------------------------------------
def test_retransmitted_invite_before_any_response_is_absorbed() -> None:
    tx = invite_tx()
    tx.receive(reparse(tx.request), 0.1)
    assert drain(tx) == [] and tx.state is State.PROCEEDING


def test_retransmitted_invite_gets_the_latest_provisional() -> None:
    tx = invite_tx()
    tx.on_timeout(0.2)
    trying = wire(drain(tx))
    tx.receive(reparse(tx.request), 0.3)
    assert wire(drain(tx)) == trying
    tx.send_response(answer(tx, 180), 1.0)
    ringing = wire(drain(tx))
    tx.receive(reparse(tx.request), 1.5)
    assert wire(drain(tx)) == ringing
    assert tx.state is State.PROCEEDING


def test_retransmitted_invite_in_completed_gets_the_final_response() -> None:
    tx = invite_tx()
    tx.send_response(answer(tx, 486), 0.1)
    final = wire(drain(tx))
    tx.receive(reparse(tx.request), 0.3)
    assert wire(drain(tx)) == final


def test_non_invite_absorbs_in_trying_and_resends_afterwards() -> None:
    tx = options_tx()
    tx.receive(reparse(tx.request), 0.1)
    assert drain(tx) == []
    tx.send_response(answer(tx, 100), 0.2)
    provisional = wire(drain(tx))
    tx.receive(reparse(tx.request), 0.3)
    assert wire(drain(tx)) == provisional
    tx.send_response(answer(tx, 200), 0.4)
    final = wire(drain(tx))
    tx.receive(reparse(tx.request), 0.5)
    assert wire(drain(tx)) == final
    tx.send_response(answer(tx, 500), 0.6)  # §17.2.2: further finals are discarded
    assert drain(tx) == [] and tx.last_response is not None and tx.last_response.status == 200


# ----- INVITE: Completed, Confirmed -----------------------------------------------------------
def test_timer_g_schedule_and_timer_h() -> None:
    tx = invite_tx()
    tx.send_response(answer(tx, 486), 1.0)
    final = wire(drain(tx))
    assert tx.timers == {Timer.TIMER_G: 1.5, Timer.TIMER_H: 33.0}
    times = []
    while (deadline := tx.next_deadline()) is not None and deadline < 33.0:
        tx.on_timeout(deadline)
        sent = wire(drain(tx))
        assert sent == final
        times.append(deadline)
    assert times == [1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5]
    tx.on_timeout(32.999)
    assert tx.state is State.COMPLETED
    tx.on_timeout(33.0)
    assert drain(tx) == [TimedOut(Timer.TIMER_H), Terminated()]


def test_no_timer_g_over_tcp() -> None:
    tx = invite_tx(reliable=True)
    tx.send_response(answer(tx, 486), 1.0)
    assert tx.timers == {Timer.TIMER_H: 33.0}


def test_ack_confirms_and_timer_i_is_t4() -> None:
    tx = invite_tx()
    tx.send_response(answer(tx, 486), 1.0)
    drain(tx)
    tx.receive(ack_for(tx), 2.0)
    assert drain(tx) == [] and tx.state is State.CONFIRMED
    assert tx.timers == {Timer.TIMER_I: 7.0}
    tx.receive(ack_for(tx), 3.0)
    tx.receive(reparse(tx.request), 3.5)
    assert drain(tx) == []
    tx.on_timeout(6.999)
    assert tx.state is State.CONFIRMED
    tx.on_timeout(7.0)
    assert drain(tx) == [Terminated()]


def test_ack_over_tcp_terminates_at_once() -> None:
    tx = invite_tx(reliable=True)
    tx.send_response(answer(tx, 486), 1.0)
    drain(tx)
    tx.receive(ack_for(tx), 2.0)
    assert drain(tx) == [Terminated()]


# ----- INVITE: Accepted (RFC 6026) ------------------------------------------------------------
def test_2xx_moves_to_accepted_for_timer_l() -> None:
    tx = invite_tx()
    ok = answer(tx, 200)
    tx.send_response(ok, 1.0)
    assert wire(drain(tx)) == [ok.serialize()]
    assert tx.state is State.ACCEPTED and tx.timers == {Timer.TIMER_L: 33.0}
    tx.receive(reparse(tx.request), 1.5)  # absorbed, not passed up
    assert drain(tx) == []
    tx.send_response(ok, 1.6)  # the TU retransmits its 2xx through the transaction
    assert wire(drain(tx)) == [ok.serialize()]
    ack = ack_for(tx)
    tx.receive(ack, 2.0)
    assert drain(tx) == [RequestReceived(ack)]
    tx.on_timeout(32.999)
    assert tx.state is State.ACCEPTED
    tx.on_timeout(33.0)
    assert drain(tx) == [Terminated()]


def test_transport_error_in_accepted_informs_the_tu_and_stays() -> None:
    tx = invite_tx()
    tx.send_response(answer(tx, 200), 1.0)
    drain(tx)
    tx.transport_error(1.1)
    assert drain(tx) == [TransportError()] and tx.state is State.ACCEPTED


# ----- non-INVITE: Timer J --------------------------------------------------------------------
def test_timer_j_is_64_t1_over_udp() -> None:
    tx = options_tx()
    tx.send_response(answer(tx, 200), 1.0)
    drain(tx)
    assert tx.timers == {Timer.TIMER_J: 33.0}
    tx.on_timeout(32.999)
    assert tx.state is State.COMPLETED
    tx.on_timeout(33.0)
    assert drain(tx) == [Terminated()]


def test_timer_j_is_zero_over_tcp() -> None:
    tx = options_tx(reliable=True)
    tx.send_response(answer(tx, 404), 1.0)
    assert kinds(drain(tx)) == ("Send", "Terminated")


def test_transport_error_in_proceeding() -> None:
    tx = options_tx()
    tx.send_response(answer(tx, 100), 0.1)
    drain(tx)
    tx.transport_error(0.2)
    assert drain(tx) == [TransportError(), Terminated()]


# ----- misuse ---------------------------------------------------------------------------------
def test_tu_cannot_send_a_provisional_or_second_final_after_a_final_to_invite() -> None:
    tx = invite_tx()
    tx.send_response(answer(tx, 486), 0.1)
    drain(tx)
    for status in (180, 200, 500):
        with pytest.raises(LocalError):
            tx.send_response(answer(tx, status), 0.2)
    assert drain(tx) == [] and tx.state is State.COMPLETED


@pytest.mark.parametrize(
    ("cls", "method"),
    [
        (InviteServerTransaction, "OPTIONS"),
        (InviteServerTransaction, "ACK"),
        (NonInviteServerTransaction, "INVITE"),
        (NonInviteServerTransaction, "ACK"),
    ],
)
def test_wrong_method_is_refused(
    cls: type[InviteServerTransaction | NonInviteServerTransaction], method: str
) -> None:
    with pytest.raises(LocalError):
        cls(make_request(method), reliable=False, now=0.0)


def test_requests_of_another_method_do_not_belong() -> None:
    tx = options_tx()
    with pytest.raises(LocalError):
        tx.receive(make_request("BYE"), 0.1)
    with pytest.raises(LocalError):
        tx.receive(make_request("ACK"), 0.1)
    with pytest.raises(LocalError):
        tx.receive(answer(tx, 200), 0.1)


def test_legacy_requests_make_transactions() -> None:
    tx = server_transaction(make_request("INVITE", branch=None), reliable=False, now=0.0)
    assert isinstance(tx, InviteServerTransaction)
    assert isinstance(
        server_transaction(make_request("REGISTER"), reliable=True, now=0),
        NonInviteServerTransaction,
    )
