"""CallTracker (observe/cdr.py): every disposition, durations and deadlines with a fake clock."""

from __future__ import annotations

import pytest

from sipwarden.observe.cdr import CallTracker, Cdr

T0 = 1_763_700_000.0
ALICE, BOB = "sip:alice@example.com", "sip:bob@example.com"


def started(tracker: CallTracker | None = None, call_id: str = "c1") -> CallTracker:
    tracker = tracker or CallTracker(max_duration=3600.0, max_ring=120.0)
    tracker.invite(call_id, ALICE, BOB, "udp:192.0.2.7:5062", T0, from_tag="a1")
    return tracker


def test_answered_call_ended_by_the_callee() -> None:
    tracker = started()
    tracker.answered("c1", T0 + 4.5)
    assert tracker.side("c1", "b9") == "callee"
    cdr = tracker.bye("c1", "callee", T0 + 65.2)
    assert cdr == Cdr(
        call_id="c1",
        caller=ALICE,
        callee=BOB,
        source="udp:192.0.2.7:5062",
        start=T0,
        answer=T0 + 4.5,
        end=T0 + 65.2,
        duration=pytest.approx(65.2),  # type: ignore[arg-type]
        billable_seconds=61,  # 60.7 s rounded up
        disposition="answered",
        status=200,
        reason="OK",
        ended_by="callee",
    )
    assert len(tracker) == 0
    assert tracker.bye("c1", "caller", T0 + 70) is None  # a retransmitted BYE: nothing more


def test_whole_seconds_are_not_rounded_up_by_float_noise() -> None:
    tracker = started()
    tracker.answered("c1", T0 + 0.1)
    cdr = tracker.bye("c1", tracker.side("c1", "a1"), T0 + 0.1 + 60.0)
    assert cdr is not None
    assert (cdr.billable_seconds, cdr.ended_by) == (60, "caller")


@pytest.mark.parametrize(
    ("status", "reason", "disposition"),
    [
        (486, "Busy Here", "busy"),
        (600, "Busy Everywhere", "busy"),
        (603, "Decline", "busy"),
        (480, "Temporarily Unavailable", "no_answer"),
        (408, "Request Timeout", "no_answer"),
        (487, "Request Terminated", "cancelled"),
        (404, "Not Found", "failed"),
        (503, "Service Unavailable", "failed"),
    ],
)
def test_unanswered_dispositions(status: int, reason: str, disposition: str) -> None:
    tracker = started()
    cdr = tracker.failed("c1", status, reason, T0 + 12.0)
    assert cdr is not None
    assert (cdr.disposition, cdr.status, cdr.reason) == (disposition, status, reason)
    assert (cdr.answer, cdr.end, cdr.duration, cdr.billable_seconds) == (None, T0 + 12, 12.0, 0)


def test_cancel_then_487_is_cancelled_by_the_caller() -> None:
    tracker = started()
    tracker.cancel("c1", T0 + 3)
    cdr = tracker.failed("c1", 487, "Request Terminated", T0 + 3.1)
    assert cdr is not None
    assert (cdr.disposition, cdr.ended_by) == ("cancelled", "caller")


def test_cancel_crossing_a_200_keeps_the_call_answered() -> None:
    tracker = started()
    tracker.answered("c1", T0 + 2)
    tracker.cancel("c1", T0 + 2.01)
    assert tracker.failed("c1", 487, "Request Terminated", T0 + 2.02) is None
    cdr = tracker.bye("c1", "caller", T0 + 10)
    assert cdr is not None and cdr.disposition == "answered"


def test_challenge_is_not_an_attempt_and_the_retry_is() -> None:
    tracker = started()
    assert tracker.failed("c1", 407, "Proxy Authentication Required", T0 + 0.01) is None
    assert len(tracker) == 0
    tracker.invite("c1", ALICE, BOB, "udp:192.0.2.7:5062", T0 + 0.2)
    cdr = tracker.failed("c1", 486, "Busy Here", T0 + 5)
    assert cdr is not None and (cdr.start, cdr.disposition) == (T0 + 0.2, "busy")


def test_reinvite_and_second_2xx_change_nothing() -> None:
    tracker = started()
    tracker.answered("c1", T0 + 1)
    tracker.invite("c1", BOB, ALICE, "udp:198.51.100.1:5060", T0 + 30)  # re-INVITE
    tracker.answered("c1", T0 + 30.5)
    cdr = tracker.bye("c1", "caller", T0 + 61)
    assert cdr is not None
    assert (cdr.caller, cdr.start, cdr.answer, cdr.billable_seconds) == (ALICE, T0, T0 + 1, 60)


def test_events_for_unknown_calls_are_ignored() -> None:
    tracker = CallTracker()
    tracker.answered("nope", T0)
    tracker.cancel("nope", T0)
    assert tracker.failed("nope", 486, "Busy Here", T0) is None
    assert tracker.bye("nope", "caller", T0) is None
    assert tracker.side("nope", "x") == "caller"


def test_bye_before_answer_is_ignored() -> None:
    tracker = started()
    assert tracker.bye("c1", "caller", T0 + 1) is None
    assert len(tracker) == 1


def test_timeouts_close_lost_byes_and_endless_rings() -> None:
    tracker = started()
    started(tracker, "c2")
    tracker.answered("c1", T0 + 10)
    assert tracker.next_deadline() == T0 + 120  # c2 rings for at most max_ring
    assert tracker.timeout(T0 + 119.9) == []
    (ring,) = tracker.timeout(T0 + 120)
    assert (ring.call_id, ring.disposition, ring.status, ring.ended_by) == (
        "c2",
        "failed",
        408,
        "timeout",
    )
    assert tracker.next_deadline() == T0 + 10 + 3600
    (call,) = tracker.timeout(T0 + 3610)
    assert (call.call_id, call.disposition, call.billable_seconds, call.ended_by) == (
        "c1",
        "answered",
        3600,
        "timeout",
    )
    assert tracker.next_deadline() is None


def test_max_calls_bounds_memory() -> None:
    tracker = CallTracker(max_calls=2)
    for number in range(4):
        tracker.invite(f"c{number}", ALICE, BOB, "udp:192.0.2.7:5062", T0)
    assert (len(tracker), tracker.overflow) == (2, 2)
    assert tracker.failed("c3", 486, "Busy Here", T0) is None
