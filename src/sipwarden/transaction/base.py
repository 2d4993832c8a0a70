"""The engine the four transaction machines share (RFC 3261 §17).

How this works: a transaction owns a `StateMachine` (its table), the deadlines of its running
timers and an outbox of events. Every input (a message, a TU call, a transport error or a timer
that is due) goes through `_step`: the table gives the action and the next state, the action
runs, and entering a new state cancels the timers that state does not carry over and starts the
ones it starts (RFC "start timer X when entering state Y"). After each public call every timer
due at `now` fires, so a timer of zero seconds (D, I, J, K on reliable transports) takes effect
before the call returns. Time only moves through the `now` arguments.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import ClassVar, Final

from sipwarden.errors import LocalError
from sipwarden.sip import Request, Response
from sipwarden.transaction.events import (
    TERMINATED,
    TRANSPORT_ERROR,
    Discarded,
    Event,
    RequestReceived,
    ResponseReceived,
    Send,
    TimedOut,
)
from sipwarden.transaction.fsm import Action, Input, State, StateMachine, TransitionTable
from sipwarden.transaction.matching import ClientKey, LegacyServerKey, ServerKey
from sipwarden.transaction.timers import DEFAULT_TIMERS, Timer, TimerConfig

# A timer and the input its firing is, both ways: `Input[timer.name]` would cost two calls into
# the interpreted enum module (the `name` property and the metaclass's `__getitem__`) per timer.
_TIMER_INPUT: Final[dict[Timer, Input]] = {
    timer: Input[timer.name] for timer in Timer if timer.name in Input.__members__
}
_INPUT_TIMER: Final[dict[Input, Timer]] = {i: t for t, i in _TIMER_INPUT.items()}


class Transaction:
    """State, timers and outbox of one transaction; subclasses supply the table and I/O."""

    NAME: ClassVar[str]
    TRANSITIONS: ClassVar[TransitionTable]
    INITIAL: ClassVar[State]
    # Timers started on entering a state, and timers that keep running into it.
    ENTRY_TIMERS: ClassVar[Mapping[State, tuple[Timer, ...]]]
    CARRIED_TIMERS: ClassVar[Mapping[State, frozenset[Timer]]] = {}

    key: ClientKey | ServerKey | LegacyServerKey

    def __init__(
        self,
        request: Request,
        *,
        reliable: bool,
        now: float,
        config: TimerConfig = DEFAULT_TIMERS,
    ) -> None:
        self.request = request
        self.reliable = reliable
        self.config = config
        self._machine = StateMachine(self.NAME, self.TRANSITIONS, self.INITIAL)
        self._events: deque[Event] = deque()
        self._deadlines: dict[Timer, float] = {}
        self._intervals: dict[Timer, float] = {}
        self._retransmission: bytes | None = None
        # The TransactionTable's bookkeeping (table.py, only it writes these): the sequence
        # number of this transaction's live heap entry (0: none) and that entry's deadline.
        self.table_seq = 0
        self.table_at = 0.0
        self._start_timers(self.INITIAL, now)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key} {self.state.name}>"

    # ----- public -------------------------------------------------------------------------
    @property
    def state(self) -> State:
        return self._machine.state

    @property
    def terminated(self) -> bool:
        """True once "Terminated" is reached: the transaction must be destroyed (§17)."""
        return self._machine.state is State.TERMINATED

    @property
    def timers(self) -> dict[Timer, float]:
        """The running timers and when each fires (a copy, for tests and snapshots)."""
        return dict(self._deadlines)

    def next_event(self) -> Event | None:
        """The oldest event not yet drained, or None."""
        return self._events.popleft() if self._events else None

    def next_deadline(self) -> float | None:
        """When `on_timeout` must next be called, or None when no timer runs."""
        earliest: float | None = None
        for deadline in self._deadlines.values():  # one or two timers: no min() call
            if earliest is None or deadline < earliest:
                earliest = deadline
        return earliest

    def on_timeout(self, now: float) -> None:
        """Fire every timer due at `now`, earliest first."""
        self._fire_due(now)

    def transport_error(self, now: float) -> None:
        """The transport failed to send a message of this transaction."""
        self._input(Input.TRANSPORT_ERROR, now, None)

    # ----- engine -------------------------------------------------------------------------
    def _input(self, input_: Input, now: float, message: Request | Response | None) -> None:
        self._step(input_, now, message)
        self._fire_due(now)

    def _step(self, input_: Input, now: float, message: Request | Response | None) -> None:
        before = self._machine.state
        action = self._machine.process(input_)
        self._perform(action, input_, before, now, message)
        after = self._machine.state
        if after is not before:
            self._enter(after, now)

    def _enter(self, state: State, now: float) -> None:
        deadlines = self._deadlines
        if deadlines:
            carried = self.CARRIED_TIMERS.get(state)
            if carried is None:
                deadlines.clear()  # the usual case: no timer runs on into the new state
            else:
                for timer in [t for t in deadlines if t not in carried]:
                    del deadlines[timer]
        self._start_timers(state, now)
        if state is State.TERMINATED:
            self._events.append(TERMINATED)
        elif state is State.COMPLETED or state is State.CONFIRMED:
            self._linger()

    def _linger(self) -> None:
        """Entering a state that only absorbs retransmissions until a timer ends it (Completed,
        Confirmed; §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2: up to 64*T1 on UDP): the messages
        it keeps drop their parsed views (Message.forget_views). At 1,000 REGISTER/s some 32,000
        such transactions are alive at once, ~4 kB of views each; what still reads a message
        later parses it again."""
        self.request.forget_views()

    def _start_timers(self, state: State, now: float) -> None:
        for timer in self.ENTRY_TIMERS.get(state, ()):
            self._arm(timer, now, self.config.duration(timer, reliable=self.reliable))

    def _arm(self, timer: Timer, now: float, interval: float | None) -> None:
        if interval is not None:
            self._intervals[timer] = interval
            self._deadlines[timer] = now + interval

    def _fire_due(self, now: float) -> None:
        # Runs after every input, mostly to find nothing due among one or two timers: a plain
        # loop rather than min(..., key=...) (a bound method and a builtin call each time).
        deadlines = self._deadlines
        while deadlines:
            due: Timer | None = None
            earliest = now
            for timer, deadline in deadlines.items():
                if deadline <= earliest and (due is None or deadline < earliest):
                    due, earliest = timer, deadline  # the first of equal deadlines, as min()
            if due is None:
                return
            del deadlines[due]
            self._step(_TIMER_INPUT[due], now, None)

    # ----- actions ------------------------------------------------------------------------
    def _perform(
        self,
        action: Action,
        input_: Input,
        state: State,
        now: float,
        message: Request | Response | None,
    ) -> None:
        match action:
            case Action.NOTHING:
                pass
            case Action.DISCARD:
                assert message is not None
                self._events.append(Discarded(message, f"{input_.name}_IN_{state.name}".lower()))
            case Action.PASS_UP:
                self._pass_up(message)
            case Action.RETRANSMIT:
                timer = _INPUT_TIMER[input_]
                self._resend()
                self._arm(timer, now, self.config.backoff(timer, self._intervals[timer]))
            case Action.RETRANSMIT_AT_T2:
                self._resend()
                self._arm(Timer.TIMER_E, now, self.config.t2)
            case Action.TIMEOUT:
                self._events.append(TimedOut(_INPUT_TIMER[input_], self._timeout_response()))
            case Action.REPORT_TRANSPORT_ERROR:
                self._events.append(TRANSPORT_ERROR)
            case _:
                self._perform_own(action, now, message)

    def _perform_own(self, action: Action, now: float, message: Request | Response | None) -> None:
        """Actions only some machines have; a subclass handles its own."""
        raise LocalError(f"{self.NAME} has no action {action.name}")

    def _pass_up(self, message: Request | Response | None) -> None:
        if isinstance(message, Response):
            self._events.append(ResponseReceived(message))
        elif isinstance(message, Request):
            self._events.append(RequestReceived(message))

    def _send(self, data: bytes) -> None:
        """Send `data` and remember it as what a retransmission resends."""
        self._retransmission = data
        self._events.append(Send(data))

    def _resend(self) -> None:
        if self._retransmission is not None:
            self._events.append(Send(self._retransmission))

    def _timeout_response(self) -> Response | None:
        return None
