"""Every (state, input) pair of every machine: the tables against an independent spec.

The spec below is written from RFC 3261 Figures 5-8 and RFC 6026 Figures 5 and 7, with the
events each transition must produce. Each entry is driven through the public API; every pair
not in the spec must raise.
"""

from __future__ import annotations

import itertools

import pytest

from sipwarden.errors import LocalError
from sipwarden.transaction import (
    Input,
    InvalidTransition,
    InviteClientTransaction,
    InviteServerTransaction,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    State,
    Transaction,
)
from sipwarden.transaction.fsm import StateMachine, states_of
from tests.unit.transaction.helpers import DELIVERABLE, TIMERS, apply, drain, in_state, kinds

S, I = State, Input  # noqa: E741
SEND, UP, ACKED = ("Send",), ("ResponseReceived",), ("Send", "ResponseReceived")
END, TIMEOUT, ERROR = ("Terminated",), ("TimedOut", "Terminated"), ("TransportError", "Terminated")
DROP: tuple[str, ...] = ("Discarded",)
NONE: tuple[str, ...] = ()

Spec = dict[tuple[State, Input], tuple[tuple[str, ...], State]]

INVITE_CLIENT: Spec = {
    (S.CALLING, I.TIMER_A): (SEND, S.CALLING),
    (S.CALLING, I.TIMER_B): (TIMEOUT, S.TERMINATED),
    (S.CALLING, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.CALLING, I.PROVISIONAL): (UP, S.PROCEEDING),
    (S.CALLING, I.FINAL_2XX): (UP, S.ACCEPTED),
    (S.CALLING, I.FINAL_NON2XX): (ACKED, S.COMPLETED),
    (S.PROCEEDING, I.PROVISIONAL): (UP, S.PROCEEDING),
    (S.PROCEEDING, I.FINAL_2XX): (UP, S.ACCEPTED),
    (S.PROCEEDING, I.FINAL_NON2XX): (ACKED, S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (NONE, S.PROCEEDING),
    (S.COMPLETED, I.FINAL_NON2XX): (SEND, S.COMPLETED),
    (S.COMPLETED, I.PROVISIONAL): (DROP, S.COMPLETED),
    (S.COMPLETED, I.FINAL_2XX): (DROP, S.COMPLETED),
    (S.COMPLETED, I.TIMER_D): (END, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.ACCEPTED, I.FINAL_2XX): (UP, S.ACCEPTED),
    (S.ACCEPTED, I.PROVISIONAL): (DROP, S.ACCEPTED),
    (S.ACCEPTED, I.FINAL_NON2XX): (DROP, S.ACCEPTED),
    (S.ACCEPTED, I.TIMER_M): (END, S.TERMINATED),
    (S.ACCEPTED, I.TRANSPORT_ERROR): (NONE, S.ACCEPTED),
}

NON_INVITE_CLIENT: Spec = {
    (S.TRYING, I.TIMER_E): (SEND, S.TRYING),
    (S.TRYING, I.TIMER_F): (TIMEOUT, S.TERMINATED),
    (S.TRYING, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.TRYING, I.PROVISIONAL): (UP, S.PROCEEDING),
    (S.TRYING, I.FINAL_2XX): (UP, S.COMPLETED),
    (S.TRYING, I.FINAL_NON2XX): (UP, S.COMPLETED),
    (S.PROCEEDING, I.TIMER_E): (SEND, S.PROCEEDING),
    (S.PROCEEDING, I.TIMER_F): (TIMEOUT, S.TERMINATED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.PROCEEDING, I.PROVISIONAL): (UP, S.PROCEEDING),
    (S.PROCEEDING, I.FINAL_2XX): (UP, S.COMPLETED),
    (S.PROCEEDING, I.FINAL_NON2XX): (UP, S.COMPLETED),
    (S.COMPLETED, I.PROVISIONAL): (NONE, S.COMPLETED),
    (S.COMPLETED, I.FINAL_2XX): (NONE, S.COMPLETED),
    (S.COMPLETED, I.FINAL_NON2XX): (NONE, S.COMPLETED),
    (S.COMPLETED, I.TIMER_K): (END, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): (NONE, S.COMPLETED),
}

INVITE_SERVER: Spec = {
    (S.PROCEEDING, I.REQUEST_RETRANSMISSION): (NONE, S.PROCEEDING),  # nothing sent yet
    (S.PROCEEDING, I.ACK): (DROP, S.PROCEEDING),
    (S.PROCEEDING, I.TIMER_TRYING): (SEND, S.PROCEEDING),
    (S.PROCEEDING, I.TU_PROVISIONAL): (SEND, S.PROCEEDING),
    (S.PROCEEDING, I.TU_2XX): (SEND, S.ACCEPTED),
    (S.PROCEEDING, I.TU_NON2XX): (SEND, S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.COMPLETED, I.REQUEST_RETRANSMISSION): (SEND, S.COMPLETED),
    (S.COMPLETED, I.ACK): (NONE, S.CONFIRMED),
    (S.COMPLETED, I.TIMER_G): (SEND, S.COMPLETED),
    (S.COMPLETED, I.TIMER_H): (TIMEOUT, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.CONFIRMED, I.ACK): (NONE, S.CONFIRMED),
    (S.CONFIRMED, I.REQUEST_RETRANSMISSION): (NONE, S.CONFIRMED),
    (S.CONFIRMED, I.TIMER_I): (END, S.TERMINATED),
    (S.CONFIRMED, I.TRANSPORT_ERROR): (NONE, S.CONFIRMED),
    (S.ACCEPTED, I.REQUEST_RETRANSMISSION): (NONE, S.ACCEPTED),
    (S.ACCEPTED, I.ACK): (("RequestReceived",), S.ACCEPTED),
    (S.ACCEPTED, I.TU_2XX): (SEND, S.ACCEPTED),
    (S.ACCEPTED, I.TIMER_L): (END, S.TERMINATED),
    (S.ACCEPTED, I.TRANSPORT_ERROR): (("TransportError",), S.ACCEPTED),
}

NON_INVITE_SERVER: Spec = {
    (S.TRYING, I.REQUEST_RETRANSMISSION): (NONE, S.TRYING),
    (S.TRYING, I.TU_PROVISIONAL): (SEND, S.PROCEEDING),
    (S.TRYING, I.TU_2XX): (SEND, S.COMPLETED),
    (S.TRYING, I.TU_NON2XX): (SEND, S.COMPLETED),
    (S.PROCEEDING, I.REQUEST_RETRANSMISSION): (SEND, S.PROCEEDING),
    (S.PROCEEDING, I.TU_PROVISIONAL): (SEND, S.PROCEEDING),
    (S.PROCEEDING, I.TU_2XX): (SEND, S.COMPLETED),
    (S.PROCEEDING, I.TU_NON2XX): (SEND, S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
    (S.COMPLETED, I.REQUEST_RETRANSMISSION): (SEND, S.COMPLETED),
    (S.COMPLETED, I.TU_2XX): (NONE, S.COMPLETED),
    (S.COMPLETED, I.TU_NON2XX): (NONE, S.COMPLETED),
    (S.COMPLETED, I.TIMER_J): (END, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): (ERROR, S.TERMINATED),
}

MACHINES: list[tuple[type[Transaction], Spec]] = [
    (InviteClientTransaction, INVITE_CLIENT),
    (NonInviteClientTransaction, NON_INVITE_CLIENT),
    (InviteServerTransaction, INVITE_SERVER),
    (NonInviteServerTransaction, NON_INVITE_SERVER),
]
ENTRIES = [
    pytest.param(cls, state, input_, events, next_, id=f"{cls.__name__}-{state.name}-{input_.name}")
    for cls, spec in MACHINES
    for (state, input_), (events, next_) in spec.items()
]
MISSING_PAIRS = [
    (cls, state, input_)
    for cls, spec in MACHINES
    for state, input_ in itertools.product(sorted(states_of(cls.TRANSITIONS), key=str), Input)
    if (state, input_) not in spec
]


def _params(triples: list[tuple[type[Transaction], State, Input]]) -> list[object]:
    return [pytest.param(*t, id=f"{t[0].__name__}-{t[1].name}-{t[2].name}") for t in triples]


def _deliverable(cls: type[Transaction], input_: Input) -> bool:
    """Inputs the public API can produce at will: not timers (they fire only when running),
    and TU responses only on the server side."""
    is_server = hasattr(cls, "send_response")
    return input_ in DELIVERABLE and (is_server or not input_.name.startswith("TU_"))


MISSING = _params(MISSING_PAIRS)
MISSING_VIA_API = _params([t for t in MISSING_PAIRS if _deliverable(t[0], t[2])])


@pytest.mark.parametrize(("cls", "spec"), MACHINES, ids=lambda v: getattr(v, "__name__", ""))
def test_table_has_exactly_the_spec_transitions(cls: type[Transaction], spec: Spec) -> None:
    assert {pair: t.next for pair, t in cls.TRANSITIONS.items()} == {
        pair: next_ for pair, (_, next_) in spec.items()
    }


@pytest.mark.parametrize(("cls", "state", "input_", "events", "next_"), ENTRIES)
def test_every_entry_through_the_public_api(
    cls: type[Transaction], state: State, input_: Input, events: tuple[str, ...], next_: State
) -> None:
    transaction = in_state(cls, state)
    assert kinds(apply(transaction, input_, 0.15)) == events
    assert transaction.state is next_


@pytest.mark.parametrize(("cls", "state", "input_"), MISSING)
def test_every_pair_not_in_the_table_raises(
    cls: type[Transaction], state: State, input_: Input
) -> None:
    machine = StateMachine(cls.NAME, cls.TRANSITIONS, state)
    with pytest.raises(InvalidTransition):
        machine.process(input_)
    assert machine.state is state


@pytest.mark.parametrize(("cls", "state", "input_"), MISSING_VIA_API)
def test_missing_pairs_raise_through_the_public_api_without_side_effects(
    cls: type[Transaction], state: State, input_: Input
) -> None:
    transaction = in_state(cls, state)
    timers = transaction.timers
    with pytest.raises(LocalError):
        apply(transaction, input_, 0.15)
    assert transaction.state is state
    assert drain(transaction) == []
    assert transaction.timers == timers


@pytest.mark.parametrize(("cls", "spec"), MACHINES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_timer_that_can_run_in_a_state_has_an_entry_there(
    cls: type[Transaction], spec: Spec
) -> None:
    """A running timer always fires into a defined transition (and no other timer can)."""
    for state in states_of(cls.TRANSITIONS) - {S.TERMINATED}:
        running = set(cls.ENTRY_TIMERS.get(state, ())) | set(cls.CARRIED_TIMERS.get(state, ()))
        for input_, timer in TIMERS.items():
            assert ((state, input_) in spec) == (timer in running), (state, timer)


def test_terminated_accepts_nothing() -> None:
    for cls, _ in MACHINES:
        assert not [pair for pair in cls.TRANSITIONS if pair[0] is S.TERMINATED]
