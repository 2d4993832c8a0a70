"""The pure connection table (RFC 3261 §18.1/§18.2.2 reuse, RFC 5923 aliases) and idle timer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sipwarden.sip import parse_via
from sipwarden.transport.address import Address
from sipwarden.transport.connections import (
    Connection,
    ConnectionLimits,
    ConnectionTable,
    IdleTimer,
    alias_target,
    normalize,
)


@dataclass
class Fake:
    id: int
    peer: Address
    transport: str = "TCP"
    local: Address = field(default_factory=lambda: Address("TCP", "192.0.2.1", 5060))
    closing: bool = False
    sent: list[bytes] = field(default_factory=list)

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.closing = True


def peer(host: str = "192.0.2.7", port: int = 40000, transport: str = "TCP") -> Address:
    return Address(transport, host, port)


def added(table: ConnectionTable, address: Address, inbound: bool = True) -> Fake:
    connection = Fake(table.new_id(), address, address.transport)
    table.add(connection, inbound)
    return connection


def test_fake_satisfies_the_protocol() -> None:
    connection: Connection = Fake(1, peer())
    assert connection.id == 1


def test_ids_are_fresh_and_lookup_by_id_and_peer() -> None:
    table = ConnectionTable()
    a, b = added(table, peer()), added(table, peer(port=40001))
    assert a.id != b.id and 0 not in (a.id, b.id)
    assert table.get(a.id) is a and table.find(peer(port=40001)) is b
    assert len(table) == 2 and [c.id for c in table] == [a.id, b.id]


def test_closing_connections_are_not_returned() -> None:
    table = ConnectionTable()
    a = added(table, peer())
    a.close()
    assert table.get(a.id) is None and table.find(peer()) is None


def test_per_ip_cap_counts_inbound_only() -> None:
    table = ConnectionTable(max_per_ip=2)
    first = added(table, peer())
    added(table, peer(port=2))
    added(table, peer(port=3), inbound=False)
    assert table.count("192.0.2.7") == 2 and not table.admits("192.0.2.7")
    assert table.admits("192.0.2.8")
    table.remove(first.id)
    assert table.admits("192.0.2.7") and table.count("192.0.2.7") == 1


def test_no_cap_when_zero() -> None:
    table = ConnectionTable(max_per_ip=0)
    for port in range(5):
        added(table, peer(port=port))
    assert table.admits("192.0.2.7")


def test_ipv6_forms_are_one_address() -> None:
    table = ConnectionTable(max_per_ip=1)
    a = added(table, peer("::1"))
    assert table.find(peer("[0:0::1]")) is a and not table.admits("[::1]")


def test_alias_finds_the_connection_and_remove_forgets_it() -> None:
    table = ConnectionTable()
    a = added(table, peer())
    assert table.alias(peer(port=5060), a.id)
    assert table.find(peer(port=5060)) is a
    assert table.remove(a.id) is a
    assert table.find(peer(port=5060)) is None and table.remove(a.id) is None


def test_alias_needs_a_known_connection_of_the_same_transport() -> None:
    table = ConnectionTable()
    a = added(table, peer())
    assert not table.alias(peer(port=5061, transport="TLS"), a.id)
    assert not table.alias(peer(port=5060), 99)


def test_newest_connection_to_a_peer_wins_and_older_removal_keeps_it() -> None:
    table = ConnectionTable()
    old, new = added(table, peer()), added(table, peer())
    assert table.find(peer()) is new
    table.remove(old.id)
    assert table.find(peer()) is new


def test_alias_target_trusts_only_the_source_ip() -> None:
    via = parse_via("SIP/2.0/TCP proxy.example.com:5070;branch=z9hG4bK1;alias")
    assert alias_target(via, peer()) == Address("TCP", "192.0.2.7", 5070)


def test_alias_target_default_port_and_no_alias() -> None:
    tls = parse_via("SIP/2.0/TLS [::1];alias;branch=z9hG4bK1")
    assert alias_target(tls, peer("::1", transport="TLS")) == Address("TLS", "::1", 5061)
    plain = parse_via("SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK1")
    assert alias_target(plain, peer()) is None
    assert alias_target(tls, peer("::1")) is None  # Via transport differs from the connection's


def test_normalize() -> None:
    assert normalize(Address("tcp", "[::0:1]", 5)) == Address("TCP", "::1", 5)
    assert normalize(Address("tls", "Example.COM", 5)) == Address("TLS", "example.com", 5)


LIMITS = ConnectionLimits(idle_timeout=10.0, message_timeout=2.0)


def test_idle_timer_closes_a_silent_connection() -> None:
    timer = IdleTimer(LIMITS, now=100.0)
    assert timer.next_deadline() == 110.0
    assert timer.expired(109.9) is None and timer.expired(110.0) == "idle_timeout"


def test_idle_timer_message_deadline_from_first_partial_byte() -> None:
    timer = IdleTimer(LIMITS, now=0.0)
    timer.on_bytes(1.0, buffered=10)
    timer.on_bytes(2.5, buffered=20)  # more bytes do not extend it: slow-loris
    assert timer.next_deadline() == 3.0 and timer.expired(3.0) == "message_timeout"


def test_idle_timer_whole_messages_reset_both() -> None:
    timer = IdleTimer(LIMITS, now=0.0)
    timer.on_bytes(1.0, buffered=10)
    timer.on_message(2.0)
    timer.on_bytes(2.0, buffered=0)
    assert timer.next_deadline() == 12.0
    timer.on_bytes(5.0, buffered=3)
    assert timer.next_deadline() == 7.0
