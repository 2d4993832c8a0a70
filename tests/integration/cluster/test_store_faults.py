"""What a node does when a store does not answer, without sockets (the end-to-end check is the
Redis restart of test_three_nodes.py): a StoreUnavailable raised while answering a REGISTER or
proxying a request becomes 503 with the store's Retry-After; the store watch logs an outage
once per change, sets the `sipwarden_store_up` gauge and shows it in the admin status."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sipwarden.observe.metrics import Metrics
from sipwarden.server.core import ServerCore
from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.storewatch import StoreWatch
from sipwarden.sip import Request, Response, parse_datagram
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.transport.address import Received
from tests.unit.server.test_core import LOCALITY, FakeProxy, with_uri
from tests.unit.server.test_dispatcher import LOCAL, SOURCE, TIMERS, FakeSender


class DownProxy(FakeProxy):
    async def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        raise StoreUnavailable("redis", "Connection refused", retry_after=7)


def answered(message: Request) -> Response:
    async def main() -> Response:
        sender = FakeSender()
        dispatcher = Dispatcher(sender, TIMERS)

        async def register(request: Request, _: Received) -> Response:
            raise StoreUnavailable("postgresql", "Connect call failed", retry_after=9)

        proxy = DownProxy(dispatcher)
        dispatcher.core = ServerCore(dispatcher, LOCALITY, register, proxy)  # type: ignore[arg-type]
        dispatcher.on_message(Received(message, SOURCE, LOCAL))
        await dispatcher.core.drain()  # type: ignore[union-attr]
        dispatcher.close()
        (reply,) = [parse_datagram(data) for data, _ in sender.sent]
        assert isinstance(reply, Response)
        return reply

    return asyncio.run(main())


def test_register_with_the_storage_down_is_503_with_its_retry_after() -> None:
    reply = answered(with_uri("REGISTER", "sip:example.com"))
    assert (reply.status, reply.header("Retry-After")) == (503, "9")


def test_a_call_with_the_state_store_down_is_503_with_its_retry_after() -> None:
    reply = answered(with_uri("INVITE", "sip:bob@example.com"))
    assert (reply.status, reply.header("Retry-After")) == (503, "7")


class Flaky:
    """A store probe that answers or not, as the test says."""

    def __init__(self) -> None:
        self.down = False

    async def __call__(self) -> None:
        if self.down:
            raise StoreUnavailable("redis", "Connection refused")


def gauge(metrics: Metrics, store: str) -> float | None:
    return metrics.registry.get_sample_value("sipwarden_store_up", {"store": store})


def test_an_outage_is_logged_once_per_change(caplog: pytest.LogCaptureFixture) -> None:
    state, storage, metrics = Flaky(), Flaky(), Metrics()
    watch = StoreWatch({"state": state, "storage": storage}, metrics, {"state": "redis"})
    caplog.set_level(logging.INFO, logger="sipwarden.server")

    async def seconds(count: int) -> None:
        for _ in range(count):
            await watch.check()

    asyncio.run(seconds(2))
    assert (gauge(metrics, "state"), gauge(metrics, "storage")) == (1.0, 1.0)
    state.down = True
    asyncio.run(seconds(5))
    assert not watch.up("state") and watch.up("storage")
    assert gauge(metrics, "state") == 0.0
    assert watch.snapshot()["state"] == {
        "backend": "redis",
        "up": False,
        "problem": "Connection refused",
    }
    state.down = False
    asyncio.run(seconds(3))
    assert watch.up("state") and gauge(metrics, "state") == 1.0
    assert [r.getMessage() for r in caplog.records] == [
        "state store unavailable: Connection refused",
        "state store back",
    ]


def test_a_failure_seen_by_the_housekeeping_counts_as_an_outage() -> None:
    watch = StoreWatch({"state": Flaky()}, Metrics(), {"state": "redis"})
    watch.report("state", "timeout")
    watch.report("state", "timeout")
    assert watch.snapshot()["state"]["problem"] == "timeout"
    asyncio.run(watch.check())
    assert watch.up("state")
