"""The transport hub: connection reuse (RFC 3261 §18.1, §18.2.2), aliases (RFC 5923 §5), the
§18.1.1 UDP-to-TCP size rule, connect failures, and listeners on port 0."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from sipwarden.sip import Request, parse_datagram
from sipwarden.transport.address import Address, Destination
from sipwarden.transport.hub import TransportConfig, Transports
from sipwarden.transport.listen import ListenSpecError
from tests.integration.transport.test_tcp import Client, options, responder, run_on, spec, until

pytestmark = pytest.mark.timeout(30)


def request(transport: str, host: str, port: int, branch: str, size: int = 0) -> Request:
    extra = f"X-Pad: {'p' * size}\r\n" if size else ""
    message = parse_datagram(options(transport, host, port, branch, extra))
    assert isinstance(message, Request)
    return message


async def reuse(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        assert server.hub is not None
        client = await Client.open(server.local("tcp"))
        assert (await client.ask(options("TCP", host, client.port, "r1"))).status == 200
        peer = Address("TCP", host, client.port)
        server.hub.send(options("TCP", host, 5060, "r2"), Destination(peer))
        assert (await client.read()).call_id == "r2"  # same connection, no new one
        assert len(server.hub.table) == 1 and server.failures == []
        await client.close()


def test_request_to_a_connected_peer_reuses_its_connection(loopback: str) -> None:
    run_on("asyncio", reuse(loopback))


async def alias(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        assert server.hub is not None
        closed = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        closed.bind((host, 0))  # a port nobody listens on
        port = closed.getsockname()[1]
        client = await Client.open(server.local("tcp"))
        plain = options("TCP", host, port, "a0")
        assert (await client.ask(plain)).status == 200
        server.hub.send(options("TCP", host, 5060, "a1"), Destination(Address("TCP", host, port)))
        await until(lambda: len(server.failures) == 1)  # no alias: a new connection, refused
        assert server.failures[0][1] == "connect_failed"
        aliased = plain.replace(b";rport;", b";rport;alias;").replace(b"a0", b"a2")
        assert (await client.ask(aliased)).status == 200
        server.hub.send(options("TCP", host, 5060, "a3"), Destination(Address("TCP", host, port)))
        assert (await client.read()).call_id == "a3"
        closed.close()
        await client.close()


def test_via_alias_lets_requests_to_the_sent_by_reuse_the_connection(loopback: str) -> None:
    run_on("asyncio", alias(loopback))


async def hub_to_hub(host: str) -> None:
    async with responder([spec("tcp", host)]) as callee, responder([spec("tcp", host)]) as caller:
        assert caller.hub is not None and callee.hub is not None
        target = Destination(callee.local("tcp"))
        for n in range(2):
            caller.hub.send(options("TCP", host, caller.local("tcp").port, f"h{n}"), target)
            await until(lambda: len(caller.received) == n + 1)  # noqa: B023 (awaited at once)
        assert len({event.source for event in callee.received}) == 1  # one connection
        assert len(caller.hub.table) == 1 and len(callee.hub.table) == 1
        assert caller.received[0].connection == next(iter(caller.hub.table)).id


def test_hub_opens_one_connection_and_the_answer_comes_back_on_it(loopback: str) -> None:
    run_on("uvloop", hub_to_hub(loopback))


async def big_udp_request(host: str) -> None:
    async with (
        responder([spec("udp", host), spec("tcp", host)]) as peer,
        responder([spec("udp", host), spec("tcp", host)]) as sender,
    ):
        assert sender.hub is not None
        peer.answer = False
        big = request("UDP", host, sender.local("udp").port, "b1", size=1400)
        tcp_target = Address("UDP", host, peer.local("tcp").port)
        used = sender.hub.send_request(big, Destination(tcp_target))
        assert used == Destination(Address("TCP", host, tcp_target.port))
        await until(lambda: len(peer.received) == 1)
        arrived = peer.received[0]
        assert arrived.source.transport == "TCP" and arrived.connection is not None
        assert arrived.message.top_via.transport == "TCP"
        assert arrived.message.top_via.port == sender.local("tcp").port
        small = request("UDP", host, sender.local("udp").port, "b2")
        udp_target = Destination(peer.local("udp"))
        assert sender.hub.send_request(small, udp_target) == udp_target
        pinned = request("UDP", host, sender.local("udp").port, "b3", size=1400)
        assert sender.hub.send_request(pinned, udp_target, udp_only=True) == udp_target
        await until(lambda: len(peer.received) == 3)
        assert [e.source.transport for e in peer.received[1:]] == ["UDP", "UDP"]


def test_udp_request_over_1300_bytes_goes_over_tcp(loopback: str) -> None:
    run_on("asyncio", big_udp_request(loopback))


async def configurable_limit(host: str) -> None:
    async with responder([spec("udp", host)], mtu_limit=4000) as sender:
        assert sender.hub is not None
        big = request("UDP", host, 5060, "l1", size=1400)
        target = Destination(Address("UDP", host, 9))
        assert sender.hub.send_request(big, target) == target


def test_mtu_limit_is_configurable() -> None:
    run_on("asyncio", configurable_limit("127.0.0.1"))


async def unreachable(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        assert server.hub is not None
        hub = server.hub
        ws = Destination(Address("WS", host, 80))
        hub.send(b"x", ws)
        hub.send(b"x", Destination(Address("UDP", host, 5060)))  # no UDP listener
        hub.send(b"x", Destination(Address("UDP", "example.invalid", 5060)))
        reasons = [reason for _, reason, _ in server.failures]
        assert reasons == ["no_connection", "no_listener", "unresolved_host"]
        assert hub.snapshot()["hub"] == {k: 1 for k in reasons}
        assert not hub.is_open(12345)


def test_unreachable_destinations_are_reported(loopback: str) -> None:
    run_on("asyncio", unreachable(loopback))


async def listeners(host: str, data_dir: Path) -> None:
    protos = ("udp", "tcp", "tls", "ws", "wss")
    async with responder([spec(p, host) for p in protos], data_dir=data_dir) as server:
        assert server.hub is not None
        infos = server.hub.listeners
        assert [i.spec.proto for i in infos] == list(protos)
        assert all(i.local.port > 0 and i.local.host == host for i in infos)
        assert [i.local.transport for i in infos] == [p.upper() for p in protos]
        assert len({i.local.port for i in infos if i.spec.proto != "udp"}) == 4
        assert (data_dir / "tls-self-signed.crt").exists()  # one pair for TLS and WSS


def test_listeners_report_their_bound_port(loopback: str, tmp_path: Path) -> None:
    run_on("asyncio", listeners(loopback, tmp_path))


async def busy(host: str) -> None:
    async with responder([spec("tcp", host)]) as server:
        taken = server.local("tcp")
        with pytest.raises(OSError):
            await Transports.start(
                [spec("udp", host), f"tcp:{host}:{taken.port}"], lambda event: None
            )


def test_start_failure_closes_what_was_bound() -> None:
    run_on("asyncio", busy("127.0.0.1"))


def test_bad_spec_is_refused() -> None:
    async def start() -> None:
        await Transports.start(["sctp:127.0.0.1:5060"], lambda event: None, TransportConfig())

    with pytest.raises(ListenSpecError):
        run_on("asyncio", start())


async def fallback(host: str) -> None:
    async with responder([spec("tcp", host)]) as callee, responder([spec("tcp", host)]) as caller:
        assert caller.hub is not None
        gone = Destination(callee.local("tcp"), connection=4242)  # §18.2.2: closed, use address
        caller.hub.send(options("TCP", host, caller.local("tcp").port, "f1"), gone)
        await until(lambda: len(callee.received) == 1 and len(caller.received) == 1)


def test_send_on_a_closed_connection_falls_back_to_the_address(loopback: str) -> None:
    run_on("asyncio", fallback(loopback))


DOC = Path(__file__).resolve().parents[3] / "docs" / "transports.md"


@pytest.mark.parametrize("block", re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL))
def test_docs_example_runs(block: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(block, str(DOC), "exec"), {})
    assert "is bound to" in capsys.readouterr().out
