"""HepSender over loopback: a UDP collector on port 0 gets every capture, in order; a full
socket buffer drops and counts instead of waiting."""

from __future__ import annotations

import asyncio

from sipwarden.observe.hep import decode
from sipwarden.observe.hep_sender import HepSender
from sipwarden.transport.address import Address
from tests.integration.conftest import run

ALICE = Address("UDP", "127.0.0.1", 5062)
PROXY = Address("UDP", "127.0.0.1", 5060)


class Collector(asyncio.DatagramProtocol):
    """A tiny HEP receiver: queues every datagram."""

    def __init__(self) -> None:
        self.packets: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.put_nowait(data)


def message(method: str, call_id: str) -> bytes:
    return f"{method} sip:bob@example.com SIP/2.0\r\nCall-ID: {call_id}\r\n\r\n".encode()


async def _collector(host: str = "127.0.0.1") -> tuple[asyncio.DatagramTransport, Collector]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Collector, local_addr=(host, 0))
    return transport, protocol


def test_collector_receives_every_message_of_a_call_in_order() -> None:
    async def scenario() -> None:
        listening, collector = await _collector()
        port = listening.get_extra_info("sockname")[1]
        sender = HepSender("127.0.0.1", port, agent_id=42, password="pw")
        try:
            await sender.start()
            flow = [("INVITE", ALICE, PROXY), ("INVITE", PROXY, ALICE), ("ACK", ALICE, PROXY)]
            for number, (method, source, destination) in enumerate(flow):
                sender.capture(message(method, "call-1"), source, destination, 1000.0 + number)
            got = [decode(await collector.packets.get()) for _ in flow]
        finally:
            sender.close()
            listening.close()
        assert [p.payload for p in got] == [message(m, "call-1") for m, _, _ in flow]
        assert [(p.source_port, p.destination_port) for p in got] == [
            (5062, 5060),
            (5060, 5062),
            (5062, 5060),
        ]
        assert [p.seconds for p in got] == [1000, 1001, 1002]
        assert {(p.agent_id, p.auth_key, p.correlation_id) for p in got} == {(42, "pw", "call-1")}
        assert sender.stats() == {"sent": 3}

    run(scenario())


def test_ipv6_collector_by_name_of_loopback() -> None:
    async def scenario() -> None:
        listening, collector = await _collector("::1")
        port = listening.get_extra_info("sockname")[1]
        sender = HepSender("::1", port, agent_id=1)
        try:
            await sender.start()
            source, destination = Address("TCP", "::1", 5060), Address("TCP", "::1", 40000)
            sender.capture(message("OPTIONS", "c6"), source, destination, 5.0)
            packet = decode(await collector.packets.get())
        finally:
            sender.close()
            listening.close()
        assert (packet.source_ip, packet.protocol, packet.auth_key) == ("::1", 6, None)

    run(scenario())


def test_full_buffer_drops_and_counts() -> None:
    """What the transport would hold (bytes the kernel refused, asyncio's write buffer, plus
    this packet) beyond `max_buffer` is dropped; on loopback the kernel never pushes back, so
    a small `max_buffer` stands for the full socket."""

    async def scenario() -> None:
        listening, collector = await _collector()
        port = listening.get_extra_info("sockname")[1]
        sender = HepSender("127.0.0.1", port, agent_id=1, max_buffer=200)
        try:
            await sender.start()
            sender.capture(message("OPTIONS", "small"), ALICE, PROXY, 1.0)  # fits
            big = message("MESSAGE", "big") + b"x" * 500
            sender.capture(big, ALICE, PROXY, 2.0)  # more than the buffer may hold
            sender.capture(big, ALICE, PROXY, 3.0)
            first = decode(await collector.packets.get())
            await asyncio.sleep(0.05)
        finally:
            sender.close()
            listening.close()
        assert first.correlation_id == "small"
        assert collector.packets.empty()
        assert sender.stats() == {"sent": 1, "dropped_buffer_full": 2}

    run(scenario())


def test_capture_before_start_or_after_close_is_counted() -> None:
    async def scenario() -> None:
        listening, _ = await _collector()
        port = listening.get_extra_info("sockname")[1]
        sender = HepSender("127.0.0.1", port, agent_id=1)
        sender.capture(message("OPTIONS", "early"), ALICE, PROXY, 1.0)
        await sender.start()
        sender.close()
        sender.capture(message("OPTIONS", "late"), ALICE, PROXY, 2.0)
        sender.capture(b"x" * 70000, ALICE, PROXY, 2.0)
        listening.close()
        assert sender.stats() == {"sent": 0, "dropped_not_started": 3}

    run(scenario())


def test_dead_collector_is_counted_not_raised() -> None:
    async def scenario() -> None:
        listening, _ = await _collector()
        port = listening.get_extra_info("sockname")[1]
        listening.close()  # nobody listens: ICMP port unreachable on loopback
        sender = HepSender("127.0.0.1", port, agent_id=1)
        try:
            await sender.start()
            for number in range(3):
                sender.capture(message("OPTIONS", "x"), ALICE, PROXY, float(number))
                await asyncio.sleep(0.02)
        finally:
            sender.close()
        assert sender.stats()["sent"] == 3
        assert sender.stats().get("dropped_collector_error", 0) >= 1

    run(scenario())
