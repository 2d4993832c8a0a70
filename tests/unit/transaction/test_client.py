"""Client transactions (RFC 3261 §17.1, RFC 6026 §7.2): timing, ACK, timeouts, misuse."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip import Response, parse_datagram
from sipwarden.transaction import (
    InviteClientTransaction,
    NonInviteClientTransaction,
    ResponseReceived,
    Send,
    State,
    Terminated,
    TimedOut,
    Timer,
    TimerConfig,
    TransportError,
    client_transaction,
)
from tests.unit.transaction.helpers import drain, kinds, make_request, respond


def send_times(
    tx: InviteClientTransaction | NonInviteClientTransaction, until: float
) -> list[float]:
    """Run the clock deadline by deadline up to `until`; the instants something was sent."""
    times = [0.0] if kinds(drain(tx)) == ("Send",) else []
    while (deadline := tx.next_deadline()) is not None and deadline <= until:
        tx.on_timeout(deadline)
        times += [deadline for e in drain(tx) if isinstance(e, Send)]
    return times


def invite_tx(*, reliable: bool = False, now: float = 0.0) -> InviteClientTransaction:
    return InviteClientTransaction(make_request("INVITE"), reliable=reliable, now=now)


def options_tx(*, reliable: bool = False, now: float = 0.0) -> NonInviteClientTransaction:
    return NonInviteClientTransaction(make_request("OPTIONS"), reliable=reliable, now=now)


# ----- sending and retransmitting -----------------------------------------------------------
def test_request_is_sent_at_creation_byte_exact() -> None:
    request = make_request("INVITE")
    tx = InviteClientTransaction(request, reliable=False, now=0.0)
    assert drain(tx) == [Send(request.serialize())]
    assert tx.state is State.CALLING


def test_invite_over_udp_retransmits_at_doubling_intervals() -> None:
    tx = invite_tx()
    assert tx.next_deadline() == 0.5
    assert send_times(tx, 31.9) == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]


def test_invite_retransmission_resends_the_same_bytes() -> None:
    tx = invite_tx()
    first = drain(tx)
    tx.on_timeout(0.5)
    assert drain(tx) == first


def test_timer_a_does_not_fire_early() -> None:
    tx = invite_tx()
    drain(tx)
    tx.on_timeout(0.4999)
    assert drain(tx) == []
    assert tx.next_deadline() == 0.5


def test_timer_b_fires_at_exactly_64_t1_not_before() -> None:
    tx = invite_tx()
    send_times(tx, 31.9)
    tx.on_timeout(31.999)
    assert drain(tx) == [] and tx.state is State.CALLING
    tx.on_timeout(32.0)
    events = drain(tx)
    assert kinds(events) == ("TimedOut", "Terminated")
    assert tx.terminated and tx.next_deadline() is None


def test_timer_b_reports_a_408_for_the_request() -> None:
    request = make_request("INVITE")
    tx = InviteClientTransaction(request, reliable=True, now=0.0)
    tx.on_timeout(32.0)
    timeout = drain(tx)[1]
    assert isinstance(timeout, TimedOut) and timeout.timer is Timer.TIMER_B
    assert timeout.response is not None and timeout.response.status == 408
    assert timeout.response.call_id == request.call_id
    assert str(timeout.response.cseq) == "314159 INVITE"
    assert timeout.response.top_via.branch == request.top_via.branch


def test_timers_run_from_the_creation_instant() -> None:
    tx = invite_tx(now=100.0)
    assert tx.timers == {Timer.TIMER_A: 100.5, Timer.TIMER_B: 132.0}


def test_invite_over_tcp_is_never_retransmitted() -> None:
    tx = invite_tx(reliable=True)
    assert tx.timers == {Timer.TIMER_B: 32.0}
    assert send_times(tx, 31.999) == [0.0]
    tx.on_timeout(32.0)
    assert kinds(drain(tx)) == ("TimedOut", "Terminated")


def test_non_invite_over_udp_caps_timer_e_at_t2() -> None:
    tx = options_tx()
    times = send_times(tx, 31.9)
    assert times == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    tx.on_timeout(31.999)
    assert tx.state is State.TRYING
    tx.on_timeout(32.0)
    events = drain(tx)
    assert kinds(events) == ("TimedOut", "Terminated")
    assert isinstance(events[0], TimedOut) and events[0].timer is Timer.TIMER_F
    assert events[0].response is not None and events[0].response.status == 408


def test_non_invite_in_proceeding_retransmits_every_t2() -> None:
    tx = options_tx()
    tx.on_timeout(0.5)
    drain(tx)
    tx.receive(respond(tx.request, 100), 0.6)
    assert tx.state is State.PROCEEDING and tx.timers[Timer.TIMER_E] == 1.5
    assert send_times(tx, 31.9) == [1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5]
    tx.on_timeout(32.0)
    assert tx.terminated


def test_non_invite_over_tcp_only_has_timer_f() -> None:
    tx = options_tx(reliable=True)
    assert tx.timers == {Timer.TIMER_F: 32.0}
    tx.receive(respond(tx.request, 180), 1.0)
    assert tx.timers == {Timer.TIMER_F: 32.0}


def test_t1_and_t2_come_from_the_config() -> None:
    config = TimerConfig(t1=0.25, t2=1.0)
    tx = NonInviteClientTransaction(make_request("OPTIONS"), reliable=False, now=0, config=config)
    assert send_times(tx, 4.0) == [0.0, 0.25, 0.75, 1.75, 2.75, 3.75]
    assert tx.timers[Timer.TIMER_F] == 16.0


# ----- provisional and final responses --------------------------------------------------------
def test_provisional_stops_invite_retransmissions_and_timer_b() -> None:
    tx = invite_tx()
    drain(tx)
    ringing = respond(tx.request, 180)
    tx.receive(ringing, 0.3)
    assert drain(tx) == [ResponseReceived(ringing)]
    assert tx.state is State.PROCEEDING and tx.next_deadline() is None
    tx.on_timeout(1000.0)
    assert drain(tx) == []


def test_non_2xx_final_is_acked_and_timer_d_runs_32_seconds() -> None:
    tx = invite_tx()
    drain(tx)
    busy = respond(tx.request, 486)
    tx.receive(busy, 1.0)
    assert tx.ack is not None
    assert drain(tx) == [Send(tx.ack.serialize()), ResponseReceived(busy)]
    assert tx.timers == {Timer.TIMER_D: 33.0}
    tx.on_timeout(32.999)
    assert not tx.terminated
    tx.on_timeout(33.0)
    assert drain(tx) == [Terminated()]


def test_non_2xx_over_tcp_is_acked_and_terminates_at_once() -> None:
    tx = invite_tx(reliable=True)
    drain(tx)
    tx.receive(respond(tx.request, 603), 1.0)
    assert kinds(drain(tx)) == ("Send", "ResponseReceived", "Terminated")
    assert tx.terminated


ACK_BYTES = (
    b"ACK sip:bob@biloxi.example SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP proxy.atlanta.example:5060;branch=z9hG4bK776asdhds\r\n"
    b"Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\n"
    b"Max-Forwards: 69\r\n"
    b"From: Alice <sip:alice@atlanta.example>;tag=1928301774\r\n"
    b"To: Bob <sip:bob@biloxi.example>;tag=a6c85cf\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example\r\n"
    b"CSeq: 314159 ACK\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def test_ack_for_non_2xx_bytes() -> None:
    """§17.1.1.3: R-URI, Call-ID, From of the INVITE; To of the response; one Via equal to the
    INVITE's top Via; CSeq number with ACK; the INVITE's Route header fields."""
    tx = invite_tx()
    drain(tx)
    tx.receive(respond(tx.request, 486), 1.0)
    assert drain(tx)[0] == Send(ACK_BYTES)


def test_ack_keeps_only_the_top_via_of_a_multi_value_line_and_every_route_line() -> None:
    data = (
        make_request("INVITE")
        .serialize()
        .replace(b"\r\nVia: SIP/2.0/UDP client", b", SIP/2.0/UDP client")
        .replace(b"Max-Forwards: 69\r\n", b"Route: <sip:p3.example;lr>\r\n")
    )
    request = parse_datagram(data)
    assert len(request.header_lines("via")) == 1 and len(request.vias) == 2
    tx = InviteClientTransaction(request, reliable=False, now=0.0)  # type: ignore[arg-type]
    tx.receive(respond(tx.request, 404), 1.0)
    assert tx.ack is not None
    ack = parse_datagram(tx.ack.serialize())
    assert [str(v) for v in ack.vias] == [str(request.top_via)]
    assert ack.header_lines("route") == request.header_lines("route")
    assert ack.max_forwards == 70 and ack.body == b""


def test_retransmitted_final_gets_the_same_ack_and_is_not_passed_up() -> None:
    tx = invite_tx()
    drain(tx)
    tx.receive(respond(tx.request, 486), 1.0)
    ack = drain(tx)[0]
    tx.receive(respond(tx.request, 486), 2.0)
    assert drain(tx) == [ack]
    assert tx.timers == {Timer.TIMER_D: 33.0}


def test_malformed_non_2xx_changes_nothing() -> None:
    tx = invite_tx()
    drain(tx)
    bad = parse_datagram(respond(tx.request, 486).serialize().replace(b"To:", b"X-To:"))
    assert isinstance(bad, Response)
    with pytest.raises(ParseError):
        tx.receive(bad, 1.0)
    assert tx.state is State.CALLING and drain(tx) == [] and tx.ack is None


def test_2xx_moves_to_accepted_passes_every_2xx_up_and_never_acks() -> None:
    tx = invite_tx()
    drain(tx)
    first, forked = respond(tx.request, 200), respond(tx.request, 200, to_tag="other")
    tx.receive(first, 1.0)
    assert drain(tx) == [ResponseReceived(first)]
    assert tx.state is State.ACCEPTED and tx.timers == {Timer.TIMER_M: 33.0}
    tx.receive(forked, 2.0)
    assert drain(tx) == [ResponseReceived(forked)]
    assert tx.ack is None
    tx.on_timeout(32.999)
    assert not tx.terminated
    tx.on_timeout(33.0)
    assert drain(tx) == [Terminated()]


def test_timer_m_is_64_t1_over_tcp_too() -> None:
    tx = invite_tx(reliable=True)
    tx.receive(respond(tx.request, 200), 1.0)
    assert tx.timers == {Timer.TIMER_M: 33.0}


def test_non_invite_final_starts_timer_k_and_absorbs_retransmissions() -> None:
    tx = options_tx()
    drain(tx)
    ok = respond(tx.request, 200)
    tx.receive(ok, 1.0)
    assert drain(tx) == [ResponseReceived(ok)]
    assert tx.timers == {Timer.TIMER_K: 6.0}
    tx.receive(respond(tx.request, 200), 2.0)
    assert drain(tx) == []
    tx.on_timeout(5.999)
    assert tx.state is State.COMPLETED
    tx.on_timeout(6.0)
    assert drain(tx) == [Terminated()]


def test_non_invite_final_over_tcp_terminates_at_once() -> None:
    tx = options_tx(reliable=True)
    drain(tx)
    tx.receive(respond(tx.request, 404), 1.0)
    assert kinds(drain(tx)) == ("ResponseReceived", "Terminated")


def test_unknown_status_above_699_counts_as_a_failure() -> None:
    tx = invite_tx()
    response = parse_datagram(respond(tx.request, 486).serialize().replace(b" 486 ", b" 799 "))
    tx.receive(response, 1.0)
    assert tx.state is State.COMPLETED


def test_transport_error_terminates_and_informs_the_tu() -> None:
    tx = invite_tx()
    drain(tx)
    tx.transport_error(0.1)
    assert drain(tx) == [TransportError(), Terminated()]
    with pytest.raises(LocalError):
        tx.receive(respond(tx.request, 180), 0.2)


def test_late_input_fires_due_timers_after_it() -> None:
    """A call at `now` first takes its input, then fires what is due at `now`."""
    tx = options_tx()
    drain(tx)
    tx.receive(respond(tx.request, 180), 40.0)
    assert kinds(drain(tx)) == ("ResponseReceived", "Send", "TimedOut", "Terminated")


# ----- misuse ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "method"),
    [
        (InviteClientTransaction, "OPTIONS"),
        (InviteClientTransaction, "ACK"),
        (NonInviteClientTransaction, "INVITE"),
        (NonInviteClientTransaction, "ACK"),
    ],
)
def test_wrong_method_is_refused(
    cls: type[InviteClientTransaction | NonInviteClientTransaction], method: str
) -> None:
    with pytest.raises(LocalError):
        cls(make_request(method), reliable=False, now=0.0)


@pytest.mark.parametrize("branch", [None, "abc123", "z9hG4bK"])
def test_request_without_an_rfc3261_branch_is_refused(branch: str | None) -> None:
    with pytest.raises(LocalError):
        invite_tx_with_branch(branch)


def invite_tx_with_branch(branch: str | None) -> InviteClientTransaction:
    return InviteClientTransaction(make_request(branch=branch), reliable=False, now=0.0)


def test_a_request_is_not_a_response() -> None:
    tx = invite_tx()
    with pytest.raises(LocalError):
        tx.receive(make_request("INVITE"), 1.0)


def test_factory_picks_the_machine_by_method() -> None:
    assert isinstance(
        client_transaction(make_request("INVITE"), reliable=True, now=0), InviteClientTransaction
    )
    nict = client_transaction(make_request("BYE"), reliable=True, now=0)
    assert isinstance(nict, NonInviteClientTransaction) and nict.key.method == "BYE"
