"""Transaction events are values: equal by fields within a class, hashable, readable repr."""

from __future__ import annotations

from sipwarden.sip import build_response
from sipwarden.transaction import (
    Discarded,
    RequestReceived,
    ResponseReceived,
    Send,
    Terminated,
    TimedOut,
    Timer,
    TransportError,
)
from sipwarden.transaction.events import TERMINATED, TRANSPORT_ERROR
from tests.unit.transaction.helpers import make_request


def test_events_compare_by_class_and_fields() -> None:
    """As the frozen dataclasses they were: equal by fields, hashable when their fields are
    (a parsed message is not)."""
    request = make_request("INVITE")
    response = build_response(request, 408)
    events = [
        Send(b"a"),
        Send(b"b"),
        ResponseReceived(response),
        RequestReceived(request),
        TimedOut(Timer.TIMER_B, response),
        TimedOut(Timer.TIMER_H),
        Discarded(request, "ack_in_proceeding"),
        Discarded(request, "timer_a_in_calling"),
        TransportError(),
        Terminated(),
    ]
    again = [type(e)(*e._fields()) for e in events]
    for i, event in enumerate(events):
        assert again[i] is not event and again[i] == event
        assert not again[i] != event  # noqa: SIM202 (`!=` is a method of its own)
        assert [j for j, other in enumerate(events) if other == event] == [i]
    assert hash(Send(b"a")) == hash(Send(b"a")) and hash(TimedOut(Timer.TIMER_H)) == hash(
        TimedOut(Timer.TIMER_H, None)
    )
    assert TimedOut(Timer.TIMER_H) == TimedOut(Timer.TIMER_H, None)
    assert Send(b"a") != ResponseReceived(response)


def test_empty_events_are_shared_and_equal_to_new_ones() -> None:
    assert Terminated() == TERMINATED and TransportError() == TRANSPORT_ERROR
    assert TERMINATED != TRANSPORT_ERROR
    assert repr(TERMINATED) == "Terminated()"


def test_repr_names_the_fields() -> None:
    assert repr(Send(b"x")) == "Send(data=b'x')"
    assert repr(TimedOut(Timer.TIMER_H)) == "TimedOut(timer=<Timer.TIMER_H: 'H'>, response=None)"
