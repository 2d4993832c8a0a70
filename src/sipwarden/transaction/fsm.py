"""The vocabulary of the transaction state machines and the one table-driven engine they share.

How this works: each machine is a dict mapping (State, Input) to a Transition (an Action and the
next State). `StateMachine.process` looks the pair up, moves to the next state and returns the
action for the transaction to perform. A pair that is not in the table is a bug in the caller
(`InvalidTransition`, a LocalError): whatever the RFC tells a transaction to absorb or ignore is
written in the table as an explicit entry whose action is NOTHING or DISCARD.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple

from sipwarden.errors import LocalError


class State(enum.Enum):
    """Transaction states, named as in RFC 3261 §17 Figures 5-8 and RFC 6026 §7."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"

    # Members are singletons compared by identity: hash them by identity too, in C, instead of
    # Enum.__hash__ (a Python call hashing the name) on every dict and set lookup of the engine.
    __hash__ = object.__hash__


class Input(enum.Enum):
    """What can happen to a transaction: network input, TU calls, timers, transport errors."""

    # from the network
    PROVISIONAL = "1xx"
    FINAL_2XX = "2xx"
    FINAL_NON2XX = "300-699"
    REQUEST_RETRANSMISSION = "request"
    ACK = "ACK"
    # from the TU (server transactions only)
    TU_PROVISIONAL = "1xx from TU"
    TU_2XX = "2xx from TU"
    TU_NON2XX = "300-699 from TU"
    # from the clock
    TIMER_A = "Timer A"
    TIMER_B = "Timer B"
    TIMER_D = "Timer D"
    TIMER_E = "Timer E"
    TIMER_F = "Timer F"
    TIMER_G = "Timer G"
    TIMER_H = "Timer H"
    TIMER_I = "Timer I"
    TIMER_J = "Timer J"
    TIMER_K = "Timer K"
    TIMER_L = "Timer L"
    TIMER_M = "Timer M"
    TIMER_TRYING = "200 ms"
    # from the transport: sending a message of this transaction failed
    TRANSPORT_ERROR = "Transport Err."

    # Members are singletons compared by identity: hash them by identity too, in C, instead of
    # Enum.__hash__ (a Python call hashing the name) on every dict and set lookup of the engine.
    __hash__ = object.__hash__


class Action(enum.Enum):
    """What a transition does besides changing state."""

    NOTHING = "-"  # the RFC's "-": absorb a retransmission, or a timer that only ends the state
    DISCARD = "discard"  # a stray message the RFC gives no meaning here: drop, observably
    PASS_UP = "pass to TU"
    SEND_ACK = "send ACK, pass to TU"  # §17.1.1.3
    RESEND_ACK = "resend ACK"  # §17.1.1.2: a retransmitted 300-699
    RETRANSMIT = "retransmit, back off"  # Timers A, E (Trying), G
    RETRANSMIT_AT_T2 = "retransmit, reset to T2"  # Timer E in Proceeding (§17.1.2.2)
    SEND_RESPONSE = "send response from TU"
    RESEND_RESPONSE = "resend last response"
    SEND_TRYING = "send 100 (Trying)"  # §17.2.1
    TIMEOUT = "inform TU of timeout"
    REPORT_TRANSPORT_ERROR = "inform TU of transport error"

    # Members are singletons compared by identity: hash them by identity too, in C, instead of
    # Enum.__hash__ (a Python call hashing the name) on every dict and set lookup of the engine.
    __hash__ = object.__hash__


class Transition(NamedTuple):
    action: Action
    next: State


TransitionTable = Mapping[tuple[State, Input], Transition]


class InvalidTransition(LocalError):
    """An input the machine has no entry for in its current state: a bug in the caller."""

    def __init__(self, machine: str, state: State, input_: Input) -> None:
        super().__init__(f"{machine}: no transition for {input_.name} in {state.name}")
        self.state = state
        self.input = input_


class StateMachine:
    """The current state of one machine plus its table; `process` is the only way to move."""

    __slots__ = ("name", "state", "table")

    def __init__(self, name: str, table: TransitionTable, initial: State) -> None:
        self.name = name
        self.table = table
        self.state = initial

    def process(self, input_: Input) -> Action:
        """Take the transition for `input_`; InvalidTransition if the table has none."""
        transition = self.table.get((self.state, input_))
        if transition is None:
            raise InvalidTransition(self.name, self.state, input_)
        self.state = transition.next
        return transition.action


def states_of(table: TransitionTable) -> frozenset[State]:
    """Every state a table mentions, as a source or a destination."""
    return frozenset(s for s, _ in table) | frozenset(t.next for t in table.values())
