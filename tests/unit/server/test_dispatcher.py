"""The dispatcher: server transactions around the core, CANCEL (§9.2), §18.2.2 destinations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.sip.request import build_request
from sipwarden.transaction import TimerConfig
from sipwarden.transport.address import Address, Destination, Received

SOURCE = Address("UDP", "192.0.2.1", 5062)
LOCAL = Address("UDP", "192.0.2.10", 5060)
TIMERS = TimerConfig(t1=0.01, t2=0.04, t4=0.05, trying_delay=0.02)


@dataclass
class FakeSender:
    sent: list[tuple[bytes, Destination]] = field(default_factory=list)
    open_connections: set[int] = field(default_factory=set)

    def send(self, data: bytes, destination: Destination) -> None:
        self.sent.append((data, destination))

    def is_open(self, connection: int) -> bool:
        return connection in self.open_connections

    def statuses(self) -> list[int]:
        return [
            r.status for r in (parse_datagram(d) for d, _ in self.sent) if isinstance(r, Response)
        ]


@dataclass
class RecordingCore:
    dispatcher: Dispatcher
    answer: Callable[[Request], Response | None]
    seen: list[tuple[Request, ServerTx]] = field(default_factory=list)
    acks: list[Request] = field(default_factory=list)
    strays: list[Response] = field(default_factory=list)

    def cancelled(self, transaction: object) -> bool:
        return False  # nothing forwarded: the dispatcher answers the INVITE with 487

    def handle_ack(self, ack: Request, received: Received) -> None:
        self.acks.append(ack)

    def handle_stray(self, response: Response, received: Received) -> None:
        self.strays.append(response)

    def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        self.seen.append((request, transaction))
        response = self.answer(request)
        if response is not None:
            self.dispatcher.respond(transaction, response)


def request(method: str, branch: str = "z9hG4bKd1", cseq: int = 1, call_id: str = "c1") -> Request:
    headers = [
        ("Via", f"SIP/2.0/UDP 192.0.2.1:5062;branch={branch};rport=5062;received=192.0.2.1"),
        ("Max-Forwards", "70"),
        ("From", "<sip:alice@example.com>;tag=f1"),
        ("To", "<sip:bob@example.com>"),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"),
    ]
    built = build_request(method, "sip:bob@example.com", headers)
    parsed = parse_datagram(built.serialize())
    assert isinstance(parsed, Request)
    return parsed


def rig(
    answer: Callable[[Request], Response | None],
) -> tuple[Dispatcher, RecordingCore, FakeSender]:
    sender = FakeSender()
    dispatcher = Dispatcher(sender, TIMERS)
    core = RecordingCore(dispatcher, answer)
    dispatcher.core = core
    return dispatcher, core, sender


def run(body: Callable[[], object]) -> None:
    async def main() -> None:
        result = body()
        if asyncio.iscoroutine(result):
            await result

    asyncio.run(main())


def test_a_new_request_reaches_the_core_and_its_retransmission_does_not() -> None:
    def body() -> None:
        dispatcher, core, sender = rig(lambda r: build_response(r, 200))
        dispatcher.on_message(Received(request("OPTIONS"), SOURCE, LOCAL))
        dispatcher.on_message(Received(request("OPTIONS"), SOURCE, LOCAL))
        assert len(core.seen) == 1
        assert sender.statuses() == [200, 200]  # the retransmission got the same answer again
        assert sender.sent[0][1] == Destination(Address("UDP", "192.0.2.1", 5062))
        dispatcher.close()

    run(body)


def test_a_response_goes_back_on_the_open_connection() -> None:
    def body() -> None:
        dispatcher, _, sender = rig(lambda r: build_response(r, 200))
        sender.open_connections.add(7)
        tcp = Address("TCP", "192.0.2.1", 40000)
        dispatcher.on_message(Received(request("OPTIONS"), tcp, LOCAL, connection=7))
        assert sender.sent[0][1].connection == 7
        dispatcher.close()

    run(body)


def test_cancel_gets_200_and_the_pending_invite_487() -> None:
    def body() -> None:
        dispatcher, _, sender = rig(lambda r: None)  # the core leaves the INVITE unanswered
        dispatcher.on_message(Received(request("INVITE"), SOURCE, LOCAL))
        dispatcher.on_message(Received(request("CANCEL"), SOURCE, LOCAL))
        assert sender.statuses() == [200, 487]
        dispatcher.close()

    run(body)


def test_cancel_without_its_invite_gets_481() -> None:
    def body() -> None:
        dispatcher, core, sender = rig(lambda r: None)
        dispatcher.on_message(Received(request("CANCEL", branch="z9hG4bKnone"), SOURCE, LOCAL))
        assert sender.statuses() == [481]
        assert core.seen == []
        dispatcher.close()

    run(body)


def test_a_late_answer_after_cancel_is_dropped_and_counted() -> None:
    def body() -> None:
        dispatcher, core, sender = rig(lambda r: None)
        dispatcher.on_message(Received(request("INVITE"), SOURCE, LOCAL))
        dispatcher.on_message(Received(request("CANCEL"), SOURCE, LOCAL))
        invite, transaction = core.seen[0]
        dispatcher.respond(transaction, build_response(invite, 200))
        assert sender.statuses() == [200, 487]
        assert dispatcher.counters["late_response"] == 1
        dispatcher.close()

    run(body)


def test_responses_and_acks_without_a_transaction_go_to_the_core() -> None:
    def body() -> None:
        dispatcher, core, _ = rig(lambda r: None)
        response = build_response(request("OPTIONS"), 200)
        dispatcher.on_message(Received(response, SOURCE, LOCAL))
        dispatcher.on_message(Received(request("ACK", branch="z9hG4bKack"), SOURCE, LOCAL))
        assert [r.status for r in core.strays] == [200]  # §16.7 step 1 / §16.11
        assert [a.method for a in core.acks] == ["ACK"]  # the ACK of a 2xx (§13.2.2.4)
        assert core.seen == []
        dispatcher.close()

    run(body)


def test_invite_gets_100_trying_when_the_core_is_slow_and_timers_run() -> None:
    async def body() -> None:
        dispatcher, core, sender = rig(lambda r: None)
        dispatcher.on_message(Received(request("INVITE"), SOURCE, LOCAL))
        await asyncio.sleep(0.05)  # trying_delay = 20 ms (RFC 3261 §17.2.1's 200 ms, scaled)
        assert sender.statuses() == [100]
        invite, transaction = core.seen[0]
        dispatcher.respond(transaction, build_response(invite, 486, "Busy Here"))
        await asyncio.sleep(0.1)  # Timer G retransmits the 486 until an ACK arrives
        statuses = sender.statuses()
        assert statuses[:2] == [100, 486] and statuses.count(486) >= 2
        dispatcher.close()

    run(body)


def test_without_a_core_requests_get_503() -> None:
    def body() -> None:
        sender = FakeSender()
        dispatcher = Dispatcher(sender, TIMERS)
        dispatcher.on_message(Received(request("OPTIONS"), SOURCE, LOCAL))
        assert sender.statuses() == [503]
        dispatcher.close()

    run(body)


@dataclass
class Branch:
    """A BranchOwner that records what its client transactions report."""

    events: list[tuple[str, int | None]] = field(default_factory=list)

    def on_branch_response(self, transaction: object, response: Response) -> None:
        self.events.append(("response", response.status))

    def on_branch_timeout(self, transaction: object, response: Response | None) -> None:
        self.events.append(("timeout", None if response is None else response.status))

    def on_branch_error(self, transaction: object) -> None:
        self.events.append(("error", None))


DOWNSTREAM = Destination(Address("UDP", "192.0.2.20", 5060))


def test_a_client_transaction_sends_retransmits_and_reports_responses() -> None:
    async def body() -> None:
        dispatcher, _, sender = rig(lambda r: None)
        owner = Branch()
        outgoing = request("OPTIONS", branch="z9hG4bKout1")
        dispatcher.send_request(outgoing, DOWNSTREAM, owner)
        await asyncio.sleep(0.025)  # Timer E: 10 ms, then 20 ms (T1 scaled down)
        assert len(sender.sent) >= 2 and {d for _, d in sender.sent} == {DOWNSTREAM}
        dispatcher.on_message(Received(build_response(outgoing, 200), DOWNSTREAM.address, LOCAL))
        assert owner.events == [("response", 200)]
        dispatcher.close()

    run(body)


def test_a_client_transaction_times_out_with_a_408() -> None:
    async def body() -> None:
        dispatcher, _, _ = rig(lambda r: None)
        owner = Branch()
        dispatcher.send_request(request("OPTIONS", branch="z9hG4bKout2"), DOWNSTREAM, owner)
        await asyncio.sleep(64 * TIMERS.t1 + 0.1)  # Timer F = 64*T1 (§17.1.2.2)
        assert owner.events == [("timeout", 408)]
        dispatcher.close()

    run(body)


def test_a_failed_send_is_a_transport_error_for_its_transaction() -> None:
    def body() -> None:
        dispatcher, _, sender = rig(lambda r: None)
        owner = Branch()
        dispatcher.send_request(request("OPTIONS", branch="z9hG4bKout3"), DOWNSTREAM, owner)
        dispatcher.send_failed(sender.sent[0][0])
        dispatcher.send_failed(b"garbage")  # not ours: ignored
        assert owner.events == [("error", None)]
        dispatcher.close()

    run(body)


def test_a_response_falls_back_to_the_via_once_its_connection_closes() -> None:
    def body() -> None:
        dispatcher, core, sender = rig(lambda r: build_response(r, 180, "Ringing"))
        sender.open_connections.add(7)
        tcp = Address("TCP", "192.0.2.1", 40000)
        dispatcher.on_message(Received(request("INVITE"), tcp, LOCAL, connection=7))
        sender.open_connections.discard(7)  # §18.2.2: then to the Via's received/rport
        invite, transaction = core.seen[0]
        dispatcher.respond(transaction, build_response(invite, 486, "Busy Here"))
        destinations = [destination for _, destination in sender.sent]
        assert destinations[0].connection == 7
        assert destinations[1] == Destination(Address("UDP", "192.0.2.1", 5062))
        dispatcher.close()

    run(body)


def test_an_answer_given_while_the_request_is_handled_is_retransmitted() -> None:
    async def body() -> None:
        dispatcher, _, sender = rig(lambda r: build_response(r, 486, "Busy Here"))
        dispatcher.on_message(Received(request("INVITE"), SOURCE, LOCAL))
        await asyncio.sleep(0.05)  # Timer G (T1 = 10 ms) armed when the message was done
        assert sender.statuses().count(486) >= 2
        dispatcher.close()

    run(body)


def test_a_request_sent_while_a_message_is_handled_is_retransmitted() -> None:
    async def body() -> None:
        owner = Branch()
        outgoing = request("OPTIONS", branch="z9hG4bKout4")

        def answer(incoming: Request) -> None:
            dispatcher.send_request(outgoing, DOWNSTREAM, owner)  # a proxy forwarding it

        dispatcher, _, sender = rig(answer)
        dispatcher.on_message(Received(request("OPTIONS"), SOURCE, LOCAL))
        await asyncio.sleep(0.025)  # Timer E: 10 ms, then 20 ms
        assert sum(destination == DOWNSTREAM for _, destination in sender.sent) >= 2
        dispatcher.on_message(Received(build_response(outgoing, 200), DOWNSTREAM.address, LOCAL))
        assert owner.events == [("response", 200)]
        dispatcher.close()

    run(body)
