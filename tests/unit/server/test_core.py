"""Which request gets which answer in `sipwarden run` (before the proxy of issue #5)."""

from __future__ import annotations

import asyncio

from sipwarden.server.core import ServerCore
from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.locality import Locality
from sipwarden.sip import Request, Response, build_response, parse_datagram
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
