"""received/rport stamping on receipt (RFC 3261 §18.2.1, RFC 3581 §4, RFC 5118 §4.5)."""

from __future__ import annotations

from sipwarden.sip import Request, parse_datagram
from sipwarden.transport import Address, stamp_received

SRC4 = Address("UDP", "192.0.2.7", 40000)


def request(via: str, second_via: str | None = None) -> Request:
    extra = f"Via: {second_via}\r\n" if second_via else ""
    data = (
        f"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: {via}\r\n{extra}"
        "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
        "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    message = parse_datagram(data)
    assert isinstance(message, Request)
    return message


def test_same_host_no_rport_is_untouched() -> None:
    req = request("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1")
    raw = req.serialize()
    assert stamp_received(req, SRC4) is False
    assert req.serialize() == raw


def test_different_host_adds_received() -> None:
    req = request("SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK1")
    assert stamp_received(req, SRC4) is True
    via = req.top_via
    assert via.received == "192.0.2.7"
    assert via.branch == "z9hG4bK1"
    assert not via.wants_rport


def test_bare_rport_is_filled_and_received_added_even_when_same_host() -> None:
    req = request("SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1")
    assert stamp_received(req, SRC4) is True
    via = req.top_via
    assert (via.received, via.rport, via.branch) == ("192.0.2.7", 40000, "z9hG4bK1")
    assert str(via) == "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;received=192.0.2.7;rport=40000"


def test_ipv6_received_has_no_brackets_and_equal_forms_match() -> None:
    src = Address("UDP", "2001:db8::9", 5060)
    same = request("SIP/2.0/UDP [2001:db8:0::9]:5060;branch=z9hG4bK1")
    assert stamp_received(same, src) is False
    other = request("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1")
    assert stamp_received(other, src) is True
    assert ";received=2001:db8::9" in str(other.top_via)
    assert other.top_via.received == "2001:db8::9"


def test_only_the_top_via_changes() -> None:
    req = request(
        "SIP/2.0/UDP a.example.com;rport;branch=z9hG4bK1, "
        "SIP/2.0/UDP b.example.com;branch=z9hG4bK0",
        "SIP/2.0/TCP c.example.com;branch=z9hG4bKc",
    )
    stamp_received(req, SRC4)
    vias = req.vias
    assert [v.host for v in vias] == ["a.example.com", "b.example.com", "c.example.com"]
    assert vias[0].rport == 40000
    assert vias[1].received is None and vias[2].received is None
    reparsed = parse_datagram(req.serialize())
    assert reparsed.top_via.received == "192.0.2.7"


def test_stale_received_is_replaced() -> None:
    req = request("SIP/2.0/UDP a.example.com;received=198.51.100.1;rport;branch=z9hG4bK1")
    stamp_received(req, SRC4)
    assert str(req.top_via).count("received=") == 1
    assert req.top_via.received == "192.0.2.7"
