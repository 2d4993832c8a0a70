"""Server transactions: INVITE (RFC 3261 §17.2.1 + RFC 6026 §7.1) and non-INVITE (§17.2.2).

The tables are RFC 3261 Figures 7 and 8 and RFC 6026 Figure 7 as data. The TU's responses come
in through `send_response`; retransmitted requests through `receive`, answered with the last
response sent. A TU response the figures do not allow in a state (a 1xx after a final one, a
second final response to an INVITE) is a TU bug and raises, except where §17.2.2 says to
discard it (a further final response to a non-INVITE request).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from sipwarden.errors import LocalError
from sipwarden.sip import Request, Response, build_response
from sipwarden.transaction.base import Transaction
from sipwarden.transaction.fsm import Action as A
from sipwarden.transaction.fsm import Input as I
from sipwarden.transaction.fsm import State as S
from sipwarden.transaction.fsm import Transition as T
from sipwarden.transaction.fsm import TransitionTable
from sipwarden.transaction.matching import LegacyServerKey, ServerKey, server_key
from sipwarden.transaction.timers import DEFAULT_TIMERS, Timer, TimerConfig

INVITE_SERVER_TRANSITIONS: TransitionTable = {
    # Proceeding (§17.2.1)
    (S.PROCEEDING, I.REQUEST_RETRANSMISSION): T(A.RESEND_RESPONSE, S.PROCEEDING),
    (S.PROCEEDING, I.ACK): T(A.DISCARD, S.PROCEEDING),  # no final response yet to acknowledge
    (S.PROCEEDING, I.TIMER_TRYING): T(A.SEND_TRYING, S.PROCEEDING),
    (S.PROCEEDING, I.TU_PROVISIONAL): T(A.SEND_RESPONSE, S.PROCEEDING),
    (S.PROCEEDING, I.TU_2XX): T(A.SEND_RESPONSE, S.ACCEPTED),  # RFC 6026 §7.1
    (S.PROCEEDING, I.TU_NON2XX): T(A.SEND_RESPONSE, S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    # Completed: retransmit the final response until the ACK or Timer H
    (S.COMPLETED, I.REQUEST_RETRANSMISSION): T(A.RESEND_RESPONSE, S.COMPLETED),
    (S.COMPLETED, I.ACK): T(A.NOTHING, S.CONFIRMED),
    (S.COMPLETED, I.TIMER_G): T(A.RETRANSMIT, S.COMPLETED),
    (S.COMPLETED, I.TIMER_H): T(A.TIMEOUT, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    # Confirmed: "absorb any additional ACK messages" until Timer I
    (S.CONFIRMED, I.ACK): T(A.NOTHING, S.CONFIRMED),
    (S.CONFIRMED, I.REQUEST_RETRANSMISSION): T(A.NOTHING, S.CONFIRMED),
    (S.CONFIRMED, I.TIMER_I): T(A.NOTHING, S.TERMINATED),
    (S.CONFIRMED, I.TRANSPORT_ERROR): T(A.NOTHING, S.CONFIRMED),  # late: the ACK came
    # Accepted (RFC 6026 §7.1): INVITEs absorbed, ACKs and 2xx retransmissions are the TU's
    (S.ACCEPTED, I.REQUEST_RETRANSMISSION): T(A.NOTHING, S.ACCEPTED),
    (S.ACCEPTED, I.ACK): T(A.PASS_UP, S.ACCEPTED),
    (S.ACCEPTED, I.TU_2XX): T(A.SEND_RESPONSE, S.ACCEPTED),
    (S.ACCEPTED, I.TIMER_L): T(A.NOTHING, S.TERMINATED),
    (S.ACCEPTED, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.ACCEPTED),
}

NON_INVITE_SERVER_TRANSITIONS: TransitionTable = {
    # Trying (§17.2.2): "any further request retransmissions are discarded"
    (S.TRYING, I.REQUEST_RETRANSMISSION): T(A.NOTHING, S.TRYING),
    (S.TRYING, I.TU_PROVISIONAL): T(A.SEND_RESPONSE, S.PROCEEDING),
    (S.TRYING, I.TU_2XX): T(A.SEND_RESPONSE, S.COMPLETED),
    (S.TRYING, I.TU_NON2XX): T(A.SEND_RESPONSE, S.COMPLETED),
    # Proceeding
    (S.PROCEEDING, I.REQUEST_RETRANSMISSION): T(A.RESEND_RESPONSE, S.PROCEEDING),
    (S.PROCEEDING, I.TU_PROVISIONAL): T(A.SEND_RESPONSE, S.PROCEEDING),
    (S.PROCEEDING, I.TU_2XX): T(A.SEND_RESPONSE, S.COMPLETED),
    (S.PROCEEDING, I.TU_NON2XX): T(A.SEND_RESPONSE, S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
    # Completed: "other final responses passed by the TU ... MUST be discarded"
    (S.COMPLETED, I.REQUEST_RETRANSMISSION): T(A.RESEND_RESPONSE, S.COMPLETED),
    (S.COMPLETED, I.TU_2XX): T(A.NOTHING, S.COMPLETED),
    (S.COMPLETED, I.TU_NON2XX): T(A.NOTHING, S.COMPLETED),
    (S.COMPLETED, I.TIMER_J): T(A.NOTHING, S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): T(A.REPORT_TRANSPORT_ERROR, S.TERMINATED),
}


# Timers started on entering a state (RFC: "start timer X").
INVITE_SERVER_ENTRY_TIMERS: Mapping[S, tuple[Timer, ...]] = {
    S.PROCEEDING: (Timer.TIMER_TRYING,),
    S.COMPLETED: (Timer.TIMER_G, Timer.TIMER_H),
    S.CONFIRMED: (Timer.TIMER_I,),
    S.ACCEPTED: (Timer.TIMER_L,),
}
NON_INVITE_SERVER_ENTRY_TIMERS: Mapping[S, tuple[Timer, ...]] = {S.COMPLETED: (Timer.TIMER_J,)}


def tu_response_input(response: Response) -> I:
    """Classify a response the TU passes down."""
    if response.status < 200:
        return I.TU_PROVISIONAL
    return I.TU_2XX if response.status < 300 else I.TU_NON2XX


class ServerTransaction(Transaction):
    """Passes its request up at creation; `receive` takes retransmissions, `send_response` the
    TU's answers."""

    FOR_INVITE: ClassVar[bool]

    def __init__(
        self,
        request: Request,
        *,
        reliable: bool,
        now: float,
        config: TimerConfig = DEFAULT_TIMERS,
        key: ServerKey | LegacyServerKey | None = None,
    ) -> None:
        """`key` is `server_key(request)`, when the caller has computed it already."""
        if request.method == "ACK" or (request.method == "INVITE") != self.FOR_INVITE:
            raise LocalError(f"a {request.method} request does not create a {self.NAME}")
        self.key = server_key(request) if key is None else key
        super().__init__(request, reliable=reliable, now=now, config=config)
        self.last_response: Response | None = None
        self._pass_up(request)

    def receive(self, request: Request | Response, now: float) -> None:
        """A request matched to this transaction (§17.2.3) arrived at `now` (any message type:
        a response is refused with LocalError in the compiled build too, see the client's)."""
        if not isinstance(request, Request):
            raise LocalError("a server transaction receives requests")
        if request.method == "ACK" and self.FOR_INVITE:
            self._input(I.ACK, now, request)
        elif request.method == self.request.method:
            self._input(I.REQUEST_RETRANSMISSION, now, request)
        else:
            raise LocalError(f"a {request.method} does not belong to a {self.NAME}")

    def send_response(self, response: Response, now: float) -> None:
        """The TU answers the request (§17.2.1, §17.2.2)."""
        self._input(tu_response_input(response), now, response)

    def _perform_own(self, action: A, now: float, message: Request | Response | None) -> None:
        if action is A.SEND_RESPONSE and isinstance(message, Response):
            self._respond(message)
        elif action is A.RESEND_RESPONSE:
            self._resend()
        elif action is A.SEND_TRYING:
            # §17.2.1: built per §8.2.6, without a To tag; it quenches INVITE retransmissions
            self._respond(build_response(self.request, 100))
        else:
            super()._perform_own(action, now, message)

    def _linger(self) -> None:
        """The request and the final response sent (kept for retransmissions) drop their
        parsed views (see Transaction._linger)."""
        super()._linger()
        if self.last_response is not None:
            self.last_response.forget_views()

    def _respond(self, response: Response) -> None:
        self.last_response = response
        self._deadlines.pop(Timer.TIMER_TRYING, None)  # the TU answered: no 100 needed
        self._send(response.serialize())


class InviteServerTransaction(ServerTransaction):
    """RFC 3261 §17.2.1 with RFC 6026 §7.1's Accepted state."""

    NAME = "INVITE server transaction"
    FOR_INVITE = True
    TRANSITIONS = INVITE_SERVER_TRANSITIONS
    INITIAL = S.PROCEEDING
    ENTRY_TIMERS = INVITE_SERVER_ENTRY_TIMERS


class NonInviteServerTransaction(ServerTransaction):
    """RFC 3261 §17.2.2 (a request other than INVITE and ACK)."""

    NAME = "non-INVITE server transaction"
    FOR_INVITE = False
    TRANSITIONS = NON_INVITE_SERVER_TRANSITIONS
    INITIAL = S.TRYING
    ENTRY_TIMERS = NON_INVITE_SERVER_ENTRY_TIMERS


def server_transaction(
    request: Request,
    *,
    reliable: bool,
    now: float,
    config: TimerConfig = DEFAULT_TIMERS,
    key: ServerKey | LegacyServerKey | None = None,
) -> InviteServerTransaction | NonInviteServerTransaction:
    """The server transaction `request` creates, chosen by its method (not for ACK); `key` is
    its `server_key` when the caller has it already."""
    kind = InviteServerTransaction if request.method == "INVITE" else NonInviteServerTransaction
    return kind(request, reliable=reliable, now=now, config=config, key=key)
