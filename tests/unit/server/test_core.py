"""Which request gets which answer in `sipwarden run` (before the proxy of issue #5)."""

from __future__ import annotations

import asyncio

from sipwarden.server.core import ServerCore
from sipwarden.server.dispatcher import Dispatcher
from sipwarden.server.locality import Locality
from sipwarden.sip import Request, Response, build_response, parse_datagram
from sipwarden.transport.address import Received
from tests.unit.server.test_dispatcher import LOCAL, SOURCE, TIMERS, FakeSender, request

LOCALITY = Locality.build(["example.com"], [("192.0.2.10", 5060)])


def answered(message: Request, register: object = None) -> list[Response]:
    async def main() -> list[Response]:
        sender = FakeSender()
        dispatcher = Dispatcher(sender, TIMERS)

        async def default_register(req: Request, _: Received) -> Response:
            return build_response(req, 200)

        dispatcher.core = ServerCore(dispatcher, LOCALITY, register or default_register)  # type: ignore[arg-type]
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
    assert reply.allow == ["REGISTER", "OPTIONS", "ACK", "CANCEL"]
    assert reply.supported == ["path"]


def test_requests_for_users_are_not_proxied_yet_and_say_so() -> None:
    (reply,) = answered(with_uri("OPTIONS", "sip:bob@example.com"))
    assert (reply.status, reply.reason) == (501, "Not Implemented")
    (reply,) = answered(with_uri("MESSAGE", "sip:example.com"))
    assert reply.status == 501


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
