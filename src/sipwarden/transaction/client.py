"""Client transactions: INVITE (RFC 3261 §17.1.1 + RFC 6026 §7.2) and non-INVITE (§17.1.2).

The tables below are the state diagrams (RFC 3261 Figures 5 and 6, RFC 6026 Figure 5) written
as data. Where a figure is silent and the input comes from the network (a stray response, a
late report of a failed send), the entry says so explicitly: DISCARD makes the drop observable,
NOTHING is the RFC's "-".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from sipwarden.errors import LocalError
from sipwarden.sip import Request, Response, build_response
from sipwarden.transaction.ack import build_ack
from sipwarden.transaction.base import Transaction
from sipwarden.transaction.events import Send
from sipwarden.transaction.fsm import Action as A
from sipwarden.transaction.fsm import Input as I
from sipwarden.transaction.fsm import State as S
from sipwarden.transaction.fsm import Transition as T
from sipwarden.transaction.fsm import TransitionTable
from sipwarden.transaction.matching import client_key
from sipwarden.transaction.timers import DEFAULT_TIMERS, Timer, TimerConfig

INVITE_CLIENT_TRANSITIONS: TransitionTable = {
    # Calling (§17.1.1.2)
    (S.CALLING, I.TIMER_A): T(A.RETRANSMIT, S.CALLING),
    (S.CALLING, I.TIMER_B): T(A.TIMEOUT, S.TERMINATED),
    (S.CALLING, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    (S.CALLING, I.PROVISIONAL): T(A.PASS_UP, S.PROCEEDING),
    (S.CALLING, I.FINAL_2XX): T(A.PASS_UP, S.ACCEPTED),  # RFC 6026 §7.2
    (S.CALLING, I.FINAL_NON2XX): T(A.SEND_ACK, S.COMPLETED),
    # Proceeding: no retransmissions, no Timer B; only a late report of a failed send can come
    (S.PROCEEDING, I.PROVISIONAL): T(A.PASS_UP, S.PROCEEDING),
    (S.PROCEEDING, I.FINAL_2XX): T(A.PASS_UP, S.ACCEPTED),
    (S.PROCEEDING, I.FINAL_NON2XX): T(A.SEND_ACK, S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): T(A.NOTHING, S.PROCEEDING),
    # Completed: retransmissions of the final response get the same ACK again
    (S.COMPLETED, I.FINAL_NON2XX): T(A.RESEND_ACK, S.COMPLETED),
    (S.COMPLETED, I.PROVISIONAL): T(A.DISCARD, S.COMPLETED),
    (S.COMPLETED, I.FINAL_2XX): T(A.DISCARD, S.COMPLETED),
    (S.COMPLETED, I.TIMER_D): T(A.NOTHING, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    # Accepted (RFC 6026 §7.2): further 2xx go to the TU, which ACKs them itself
    (S.ACCEPTED, I.FINAL_2XX): T(A.PASS_UP, S.ACCEPTED),
    (S.ACCEPTED, I.PROVISIONAL): T(A.DISCARD, S.ACCEPTED),
    (S.ACCEPTED, I.FINAL_NON2XX): T(A.DISCARD, S.ACCEPTED),
    (S.ACCEPTED, I.TIMER_M): T(A.NOTHING, S.TERMINATED),
    (S.ACCEPTED, I.TRANSPORT_ERROR): T(A.NOTHING, S.ACCEPTED),
}

NON_INVITE_CLIENT_TRANSITIONS: TransitionTable = {
    # Trying (§17.1.2.2)
    (S.TRYING, I.TIMER_E): T(A.RETRANSMIT, S.TRYING),
    (S.TRYING, I.TIMER_F): T(A.TIMEOUT, S.TERMINATED),
    (S.TRYING, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    (S.TRYING, I.PROVISIONAL): T(A.PASS_UP, S.PROCEEDING),
    (S.TRYING, I.FINAL_2XX): T(A.PASS_UP, S.COMPLETED),
    (S.TRYING, I.FINAL_NON2XX): T(A.PASS_UP, S.COMPLETED),
    # Proceeding: Timer E keeps running, now every T2
    (S.PROCEEDING, I.TIMER_E): T(A.RETRANSMIT_AT_T2, S.PROCEEDING),
    (S.PROCEEDING, I.TIMER_F): T(A.TIMEOUT, S.TERMINATED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    (S.PROCEEDING, I.PROVISIONAL): T(A.PASS_UP, S.PROCEEDING),
    (S.PROCEEDING, I.FINAL_2XX): T(A.PASS_UP, S.COMPLETED),
    (S.PROCEEDING, I.FINAL_NON2XX): T(A.PASS_UP, S.COMPLETED),
    # Completed: "buffer any additional response retransmissions" until Timer K
    (S.COMPLETED, I.PROVISIONAL): T(A.NOTHING, S.COMPLETED),
    (S.COMPLETED, I.FINAL_2XX): T(A.NOTHING, S.COMPLETED),
    (S.COMPLETED, I.FINAL_NON2XX): T(A.NOTHING, S.COMPLETED),
    (S.COMPLETED, I.TIMER_K): T(A.NOTHING, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): T(A.NOTHING, S.COMPLETED),
}


# Timers started on entering a state (RFC: "start timer X"), and those kept running into it.
INVITE_CLIENT_ENTRY_TIMERS: Mapping[S, tuple[Timer, ...]] = {
    S.CALLING: (Timer.TIMER_A, Timer.TIMER_B),
    S.COMPLETED: (Timer.TIMER_D,),
    S.ACCEPTED: (Timer.TIMER_M,),
}
NON_INVITE_CLIENT_ENTRY_TIMERS: Mapping[S, tuple[Timer, ...]] = {
    S.TRYING: (Timer.TIMER_E, Timer.TIMER_F),
    S.COMPLETED: (Timer.TIMER_K,),
}
NON_INVITE_CLIENT_CARRIED_TIMERS: Mapping[S, frozenset[Timer]] = {
    S.PROCEEDING: frozenset({Timer.TIMER_E, Timer.TIMER_F})
}


def response_input(response: Response) -> I:
    """Classify a response; unknown codes of 300 and up count as failures (§8.1.3.2)."""
    if response.status < 200:
        return I.PROVISIONAL
    return I.FINAL_2XX if response.status < 300 else I.FINAL_NON2XX


class ClientTransaction(Transaction):
    """Sends the request at once and retransmits it; `receive` takes its responses."""

    FOR_INVITE: ClassVar[bool]

    def __init__(
        self,
        request: Request,
        *,
        reliable: bool,
        now: float,
        config: TimerConfig = DEFAULT_TIMERS,
    ) -> None:
        if request.method == "ACK" or (request.method == "INVITE") != self.FOR_INVITE:
            raise LocalError(f"a {self.NAME} cannot send {request.method}")
        self.key = client_key(request)
        super().__init__(request, reliable=reliable, now=now, config=config)
        self._send(request.serialize())

    def receive(self, response: Request | Response, now: float) -> None:
        """A response matched to this transaction (§17.1.3) arrived at `now`.

        Typed for any message so a request is refused with LocalError in the compiled build
        too (mypyc would raise TypeError at the call for a narrower parameter type).
        """
        if not isinstance(response, Response):
            raise LocalError("a client transaction receives responses")
        input_ = response_input(response)
        self._prepare(input_, response)
        self._input(input_, now, response)

    def _prepare(self, input_: I, response: Response) -> None:
        """Work that may fail on a malformed response, done before the state changes."""

    def _timeout_response(self) -> Response:
        """§8.1.3.1, §16.7 step 2: a timeout is reported as a 408 (Request Timeout)."""
        return build_response(self.request, 408)


class InviteClientTransaction(ClientTransaction):
    """RFC 3261 §17.1.1 with RFC 6026 §7.2's Accepted state."""

    NAME = "INVITE client transaction"
    FOR_INVITE = True
    TRANSITIONS = INVITE_CLIENT_TRANSITIONS
    INITIAL = S.CALLING
    ENTRY_TIMERS = INVITE_CLIENT_ENTRY_TIMERS

    ack: Request | None = None
    """The ACK this transaction sent for a 300-699 response (§17.1.1.3), once it has one."""

    def _prepare(self, input_: I, response: Response) -> None:
        if input_ is I.FINAL_NON2XX and self.state in (S.CALLING, S.PROCEEDING):
            self.ack = build_ack(self.request, response)

    def _perform_own(self, action: A, now: float, message: Request | Response | None) -> None:
        if action in (A.SEND_ACK, A.RESEND_ACK) and self.ack is not None:
            self._events.append(Send(self.ack.serialize()))
            if action is A.SEND_ACK:
                self._pass_up(message)
        else:
            super()._perform_own(action, now, message)


class NonInviteClientTransaction(ClientTransaction):
    """RFC 3261 §17.1.2 (any method but INVITE and ACK; an ACK has no transaction, §17)."""

    NAME = "non-INVITE client transaction"
    FOR_INVITE = False
    TRANSITIONS = NON_INVITE_CLIENT_TRANSITIONS
    INITIAL = S.TRYING
    ENTRY_TIMERS = NON_INVITE_CLIENT_ENTRY_TIMERS
    CARRIED_TIMERS = NON_INVITE_CLIENT_CARRIED_TIMERS


def client_transaction(
    request: Request, *, reliable: bool, now: float, config: TimerConfig = DEFAULT_TIMERS
) -> InviteClientTransaction | NonInviteClientTransaction:
    """The client transaction for `request`, chosen by its method."""
    kind = InviteClientTransaction if request.method == "INVITE" else NonInviteClientTransaction
    return kind(request, reliable=reliable, now=now, config=config)
