"""The pure datagram checks (RFC 3261 §18.2.1, §16.3 stateless errors, RFC 5626 keep-alives)."""

from __future__ import annotations

import pickle

from sipwarden.sip import Response, parse_datagram
from sipwarden.transport.address import Address, Received
from sipwarden.transport.counters import DropCounters
from sipwarden.transport.inbound import Limits, Rejected, accept_datagram

SRC = Address("UDP", "192.0.2.7", 40000)
LOCAL = Address("UDP", "192.0.2.1", 5060)
GOOD = (
    b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc.example.com;rport;branch=z9hG4bK1\r\n"
    b"Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
    b"Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


def test_good_request_is_stamped_and_handed_up() -> None:
    outcome = accept_datagram(GOOD, SRC, LOCAL, Limits())
    assert isinstance(outcome, Received)
    assert (outcome.source, outcome.local, outcome.connection) == (SRC, LOCAL, None)
    assert outcome.message.top_via.received == "192.0.2.7"
    assert outcome.message.top_via.rport == 40000


def test_keepalive_is_dropped_quietly() -> None:
    outcome = accept_datagram(b"\r\n\r\n", SRC, LOCAL, Limits())
    assert outcome == Rejected("keepalive", "CRLF keep-alive datagram")


def test_garbage_is_dropped_without_reply() -> None:
    outcome = accept_datagram(b"\x00\xffnot sip", SRC, LOCAL, Limits())
    assert isinstance(outcome, Rejected)
    assert (outcome.reason, outcome.reply) == ("parse_error_dropped", None)


def test_addressable_bad_request_gets_a_stateless_error() -> None:
    bad = GOOD.replace(b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS")
    outcome = accept_datagram(bad, SRC, LOCAL, Limits())
    assert isinstance(outcome, Rejected) and outcome.reason == "parse_error_answered"
    assert outcome.reply is not None
    reply = parse_datagram(outcome.reply)
    assert isinstance(reply, Response) and reply.status == 400


def test_size_limit_is_the_configured_one() -> None:
    outcome = accept_datagram(GOOD, SRC, LOCAL, Limits(max_size=100))
    assert isinstance(outcome, Rejected) and outcome.detail.startswith("413")


def test_counters_snapshot() -> None:
    counters = DropCounters()
    counters.count("keepalive")
    counters.count("keepalive")
    assert counters["keepalive"] == 2 and counters["other"] == 0
    assert counters.snapshot() == {"keepalive": 2}


def test_address_is_a_value_that_survives_pickling() -> None:
    same = Address("UDP", "192.0.2.7", 40000)
    assert same == SRC and hash(same) == hash(SRC) and {SRC: 1}[same] == 1
    assert SRC != LOCAL and SRC != ("UDP", "192.0.2.7", 40000)
    assert pickle.loads(pickle.dumps(SRC)) == SRC
    assert repr(SRC) == "Address(transport='UDP', host='192.0.2.7', port=40000)"
    assert str(Address("TCP", "2001:db8::1", 5060)) == "tcp:[2001:db8::1]:5060"
