"""Response routing (RFC 3261 §18.2.2, RFC 3581 §4) and the §18.1.1 size rule."""

from __future__ import annotations

import pytest

from sipwarden.sip import parse_via
from sipwarden.transport import (
    Address,
    Destination,
    default_port,
    request_transport,
    response_destination,
)


def test_open_connection_wins() -> None:
    via = parse_via("SIP/2.0/TCP pc.example.com;branch=z9hG4bK1;received=192.0.2.7")
    dest = response_destination(via, 12, connection_open=True)
    assert dest == Destination(Address("TCP", "192.0.2.7", 5060), 12)


def test_closed_connection_falls_back_to_received_and_sent_by_port() -> None:
    via = parse_via("SIP/2.0/TCP pc.example.com:5070;branch=z9hG4bK1;received=192.0.2.7")
    assert response_destination(via, 12, connection_open=False) == Destination(
        Address("TCP", "192.0.2.7", 5070)
    )


def test_udp_received_and_rport() -> None:
    via = parse_via("SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=192.0.2.7;rport=4000")
    assert response_destination(via, None, False).address == Address("UDP", "192.0.2.7", 4000)


def test_ipv6_received_and_sent_by_are_bare() -> None:
    via = parse_via("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;received=[2001:db8::9]")
    assert response_destination(via, None, False).address == Address("UDP", "2001:db8::9", 5060)
    plain = parse_via("SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bK1")
    assert response_destination(plain, None, False).address == Address("UDP", "2001:db8::1", 5080)


def test_maddr_is_used() -> None:
    via = parse_via("SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;maddr=239.255.255.1")
    assert response_destination(via, None, False).address == Address("UDP", "239.255.255.1", 5060)


@pytest.mark.parametrize(("transport", "port"), [("TLS", 5061), ("WSS", 5061), ("UDP", 5060)])
def test_default_ports(transport: str, port: int) -> None:
    assert default_port(transport) == port
    via = parse_via(f"SIP/2.0/{transport} 192.0.2.7;branch=z9hG4bK1")
    assert response_destination(via, None, False).address.port == port


def test_large_udp_requests_go_over_tcp() -> None:
    assert request_transport("udp", 1300) == "UDP"
    assert request_transport("UDP", 1301) == "TCP"
    assert request_transport("UDP", 1301, congestion_controlled=True) == "UDP"
    assert request_transport("TLS", 9000) == "TLS"


def test_the_size_limit_is_configurable() -> None:
    assert request_transport("UDP", 1301, limit=1400) == "UDP"
    assert request_transport("UDP", 1401, limit=1400) == "TCP"
    assert request_transport("UDP", 501, limit=500) == "TCP"
    assert request_transport("UDP", 501, congestion_controlled=True, limit=500) == "UDP"
    assert request_transport("TCP", 9000, limit=500) == "TCP"
