"""Messages and drivers for transaction tests: a fake clock is a plain float, nothing sleeps."""

from __future__ import annotations

from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.transaction import (
    Event,
    Input,
    ServerTransaction,
    State,
    Timer,
    Transaction,
    build_ack,
)
from sipwarden.transaction.client import ClientTransaction

TEMPLATE = (
    "{method} sip:bob@biloxi.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {sent_by}{branch}\r\n"
    "Via: SIP/2.0/UDP client.atlanta.example;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 69\r\n"
    "Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\n"
    "From: Alice <sip:alice@atlanta.example>;tag={from_tag}\r\n"
    "To: Bob <sip:bob@biloxi.example>{to_tag}\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example\r\n"
    "CSeq: {cseq} {method}\r\n"
    "Contact: <sip:alice@pc33.atlanta.example>\r\n"
    "Content-Length: 0\r\n\r\n"
)
BRANCH = "z9hG4bK776asdhds"


def make_request(
    method: str = "INVITE",
    *,
    branch: str | None = BRANCH,
    sent_by: str = "proxy.atlanta.example:5060",
    from_tag: str = "1928301774",
    to_tag: str | None = None,
    cseq: int = 314159,
) -> Request:
    """A request as parsed from the wire."""
    text = TEMPLATE.format(
        method=method,
        sent_by=sent_by,
        branch="" if branch is None else f";branch={branch}",
        from_tag=from_tag,
        to_tag="" if to_tag is None else f";tag={to_tag}",
        cseq=cseq,
    )
    request = parse_datagram(text.encode())
    assert isinstance(request, Request)
    return request


def reparse(request: Request) -> Request:
    """The same request as a retransmission would bring it."""
    again = parse_datagram(request.serialize())
    assert isinstance(again, Request)
    return again


def respond(request: Request, status: int, to_tag: str = "a6c85cf") -> Response:
    """A response to `request` as it would arrive from the network."""
    response = parse_datagram(build_response(request, status, to_tag=to_tag).serialize())
    assert isinstance(response, Response)
    return response


def drain(transaction: Transaction) -> list[Event]:
    events = []
    while (event := transaction.next_event()) is not None:
        events.append(event)
    return events


def kinds(events: list[Event]) -> tuple[str, ...]:
    return tuple(type(event).__name__ for event in events)


def fire(transaction: Transaction, timer: Timer) -> tuple[float, list[Event]]:
    """Let time run, deadline by deadline, until `timer` fires; return when, and what that
    last call produced."""
    while True:
        running = transaction.timers
        assert timer in running, f"{timer.name} is not running in {transaction.state.name}"
        now = min(running.values())
        drain(transaction)
        transaction.on_timeout(now)
        if running[timer] == now:
            return now, drain(transaction)


STATUS = {
    Input.PROVISIONAL: 180,
    Input.FINAL_2XX: 200,
    Input.FINAL_NON2XX: 486,
    Input.TU_PROVISIONAL: 180,
    Input.TU_2XX: 200,
    Input.TU_NON2XX: 486,
}
TIMERS = {Input[t.name]: t for t in Timer if t.name in Input.__members__}
NETWORK_REQUESTS = (Input.REQUEST_RETRANSMISSION, Input.ACK)
DELIVERABLE = (*STATUS, *NETWORK_REQUESTS, Input.TRANSPORT_ERROR)


def apply(transaction: Transaction, input_: Input, now: float) -> list[Event]:
    """Deliver one input through the public API; return the events it produced."""
    drain(transaction)
    if input_ in TIMERS:
        return fire(transaction, TIMERS[input_])[1]
    if input_ is Input.TRANSPORT_ERROR:
        transaction.transport_error(now)
    elif input_ in (Input.PROVISIONAL, Input.FINAL_2XX, Input.FINAL_NON2XX):
        _receive(transaction, respond(transaction.request, STATUS[input_]), now)
    elif input_ in (Input.TU_PROVISIONAL, Input.TU_2XX, Input.TU_NON2XX):
        _send_response(transaction, build_response(transaction.request, STATUS[input_]), now)
    elif input_ is Input.REQUEST_RETRANSMISSION:
        _receive(transaction, reparse(transaction.request), now)
    else:
        _receive(transaction, ack_for(transaction), now)
    return drain(transaction)


def ack_for(transaction: Transaction) -> Request:
    """The ACK a client would send for the final response this transaction sent (or a 486)."""
    last = transaction.last_response if isinstance(transaction, ServerTransaction) else None
    final = last if last is not None and last.status >= 200 else respond(transaction.request, 486)
    ack = parse_datagram(build_ack(transaction.request, final).serialize())
    assert isinstance(ack, Request)
    return ack


def _receive(transaction: Transaction, message: Request | Response, now: float) -> None:
    if isinstance(transaction, ClientTransaction):
        transaction.receive(message, now)
    else:
        assert isinstance(transaction, ServerTransaction)
        transaction.receive(message, now)


def _send_response(transaction: Transaction, response: Response, now: float) -> None:
    if not isinstance(transaction, ServerTransaction):
        raise AssertionError("only server transactions take responses from the TU")
    transaction.send_response(response, now)


def in_state(make: type[Transaction], state: State) -> Transaction:
    """A fresh transaction (UDP, created at t=0) driven into `state` at t=0.1."""
    is_invite = make.__name__.startswith("Invite")
    request = make_request("INVITE" if is_invite else "OPTIONS")
    transaction = make(request, reliable=False, now=0.0)
    for input_ in PATHS[make.__name__][state]:
        apply(transaction, input_, 0.1)
    assert transaction.state is state
    drain(transaction)
    return transaction


PATHS: dict[str, dict[State, tuple[Input, ...]]] = {
    "InviteClientTransaction": {
        State.CALLING: (),
        State.PROCEEDING: (Input.PROVISIONAL,),
        State.COMPLETED: (Input.FINAL_NON2XX,),
        State.ACCEPTED: (Input.FINAL_2XX,),
        State.TERMINATED: (Input.TRANSPORT_ERROR,),
    },
    "NonInviteClientTransaction": {
        State.TRYING: (),
        State.PROCEEDING: (Input.PROVISIONAL,),
        State.COMPLETED: (Input.FINAL_2XX,),
        State.TERMINATED: (Input.TRANSPORT_ERROR,),
    },
    "InviteServerTransaction": {
        State.PROCEEDING: (),
        State.COMPLETED: (Input.TU_NON2XX,),
        State.CONFIRMED: (Input.TU_NON2XX, Input.ACK),
        State.ACCEPTED: (Input.TU_2XX,),
        State.TERMINATED: (Input.TRANSPORT_ERROR,),
    },
    "NonInviteServerTransaction": {
        State.TRYING: (),
        State.PROCEEDING: (Input.TU_PROVISIONAL,),
        State.COMPLETED: (Input.TU_2XX,),
        State.TERMINATED: (Input.TU_PROVISIONAL, Input.TRANSPORT_ERROR),
    },
}
