"""Which request gets which answer in `sipwarden run` (before the proxy of issue #5)."""

from __future__ import annotations

import asyncio

from sipwarden.server.core import ServerCore
from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.locality import Locality
from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.transport.address import Received
from tests.unit.server.test_dispatcher import LOCAL, SOURCE, TIMERS, FakeSender, request

LOCALITY = Locality.build(["example.com"], [("192.0.2.10", 5060)])


class FakeProxy:
    """Stands for sipwarden.server.proxying.Proxy: answers 299 to whatever it is given."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        self.dispatcher.respond(transaction, build_response(request, 299, "Proxied"))

    def cancelled(self, transaction: object) -> bool:
        return False

    def handle_ack(self, ack: Request, received: Received) -> None:
        return None

    def handle_stray(self, response: Response, received: Received) -> None:
        return None


def answered(message: Request, register: object = None) -> list[Response]:
    async def main() -> list[Response]:
        sender = FakeSender()
        dispatcher = Dispatcher(sender, TIMERS)

        async def default_register(req: Request, _: Received) -> Response:
            return build_response(req, 200)

        dispatcher.core = ServerCore(
            dispatcher,
            LOCALITY,
            register or default_register,
            FakeProxy(dispatcher),  # type: ignore[arg-type]
        )
        dispatcher.on_message(Received(message, SOURCE, LOCAL))
        await dispatcher.core.drain()  # type: ignore[union-attr]
        dispatcher.close()
        return [parse_datagram(data) for data, _ in sender.sent]  # type: ignore[misc]

    return asyncio.run(main())


def with_uri(method: str, uri: str) -> Request:
    message = request(method)
    message.set_uri(uri)
    return message


def test_options_to_the_proxy_itself_lists_what_it_supports() -> None:
    (reply,) = answered(with_uri("OPTIONS", "sip:example.com"))
    assert reply.status == 200
    assert {"INVITE", "ACK", "CANCEL", "BYE", "REGISTER", "OPTIONS"} <= set(reply.allow)
    assert reply.supported == ["path"]


def test_requests_for_users_and_foreign_registers_go_to_the_proxy() -> None:
    for method, uri in (
        ("OPTIONS", "sip:bob@example.com"),
        ("MESSAGE", "sip:example.com"),
        ("REGISTER", "sip:example.org"),
    ):
        (reply,) = answered(with_uri(method, uri))
        assert (reply.status, reply.reason) == (299, "Proxied")


def test_register_is_answered_by_the_registration_coroutine() -> None:
    async def register(req: Request, _: Received) -> Response:
        return build_response(req, 299, "Custom")

    (reply,) = answered(with_uri("REGISTER", "sip:example.com"), register)
    assert (reply.status, reply.reason) == (299, "Custom")


def test_a_store_failure_becomes_503_with_retry_after() -> None:
    async def broken(req: Request, _: Received) -> Response:
        raise OSError("database is locked")

    (reply,) = answered(with_uri("REGISTER", "sip:example.com"), broken)
    assert reply.status == 503
    assert reply.retry_after is not None and reply.retry_after.seconds == 5


# ----- inline proxying: no task unless the proxy suspends -------------------------------------


class InlineProxy(FakeProxy):
    """A proxy that says it answers at once, and may not (`waits`: futures it awaits first)."""

    inline = True

    def __init__(self, dispatcher: Dispatcher, waits: int = 0, fail: bool = False) -> None:
        super().__init__(dispatcher)
        self.waits = waits
        self.fail = fail
        self.steps: list[str] = []
        self.gate: asyncio.Future[int] | None = None

    async def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        for n in range(self.waits):
            self.gate = asyncio.get_running_loop().create_future()
            self.steps.append(f"wait {n}")
            self.steps.append(f"got {await self.gate}")
            await asyncio.sleep(0)  # a bare yield too
        if self.fail:
            raise StoreUnavailable("redis", "down", retry_after=7)
        self.steps.append("answered")
        await super().handle(request, received, transaction)


def run_inline(proxy_of: object, *, cancel: bool = False) -> tuple[list[Response], list[str]]:
    async def main() -> tuple[list[Response], list[str]]:
        sender = FakeSender()
        dispatcher = Dispatcher(sender, TIMERS)

        async def register(req: Request, _: Received) -> Response:
            return build_response(req, 200)

        proxy: InlineProxy = proxy_of(dispatcher)  # type: ignore[operator]
        core = ServerCore(dispatcher, LOCALITY, register, proxy)  # type: ignore[arg-type]
        dispatcher.core = core
        dispatcher.on_message(Received(with_uri("MESSAGE", "sip:bob@example.com"), SOURCE, LOCAL))
        done_at_once = list(proxy.steps)
        value = 0
        for _ in range(20):  # open each gate the handler waits at, in turn
            gate = proxy.gate
            if gate is not None and not gate.done():
                if cancel:
                    for task in core._tasks:
                        task.cancel()
                    break
                value += 1
                gate.set_result(value)
            await asyncio.sleep(0)
        await core.drain()
        dispatcher.close()
        replies = [parse_datagram(data) for data, _ in sender.sent]
        return replies, [*done_at_once, "|", *proxy.steps]  # type: ignore[return-value]

    return asyncio.run(main())


def test_an_inline_proxy_answers_before_the_message_is_done() -> None:
    replies, steps = run_inline(InlineProxy)
    assert steps == ["answered", "|", "answered"]
    assert [(r.status, r.reason) for r in replies] == [(299, "Proxied")]


def test_an_inline_proxy_that_suspends_goes_on_in_a_task() -> None:
    replies, steps = run_inline(lambda d: InlineProxy(d, waits=2))
    assert steps == ["wait 0", "|", "wait 0", "got 1", "wait 1", "got 2", "answered"]
    assert [(r.status, r.reason) for r in replies] == [(299, "Proxied")]


def test_a_store_failure_after_suspending_still_gets_its_503() -> None:
    replies, _ = run_inline(lambda d: InlineProxy(d, waits=1, fail=True))
    assert [(r.status, r.header("retry-after")) for r in replies] == [(503, "7")]


def test_a_store_failure_inline_gets_its_503_at_once() -> None:
    replies, _ = run_inline(lambda d: InlineProxy(d, fail=True))
    assert [(r.status, r.header("retry-after")) for r in replies] == [(503, "7")]


def test_cancelling_the_task_of_a_suspended_inline_proxy_reaches_the_handler() -> None:
    """What `drain` or a shutdown does to a task: the CancelledError is thrown in where the
    handler waits (so its `finally` blocks run), as in a task of its own."""
    replies, steps = run_inline(lambda d: InlineProxy(d, waits=1), cancel=True)
    assert steps == ["wait 0", "|", "wait 0"]
    assert replies == []
