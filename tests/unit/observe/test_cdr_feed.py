"""CdrRecorder (observe/cdr_feed.py): SIP messages in, CDRs out, with a fake wall clock."""

from __future__ import annotations

from sipwarden.observe.cdr import CallTracker, Cdr
from sipwarden.observe.cdr_feed import CdrRecorder
from sipwarden.sip import Request, build_response, parse_datagram
from sipwarden.transport.address import Address

CALLER = Address("UDP", "192.0.2.7", 5062)


def request(method: str, from_tag: str = "a1", to_tag: str = "", call_id: str = "c1") -> Request:
    to = "<sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} sip:bob@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK776asdhds\r\n"
        "Max-Forwards: 70\r\n"
        f"From: Alice <sip:alice@example.com>;tag={from_tag}\r\nTo: {to}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse_datagram(text.encode())
    assert isinstance(message, Request)
    return message


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def recorder() -> tuple[CdrRecorder, list[Cdr], Clock]:
    written: list[Cdr] = []
    clock = Clock()
    return CdrRecorder(CallTracker(max_ring=60.0), written.append, clock), written, clock


def test_a_whole_call_from_sip_messages() -> None:
    feed, written, clock = recorder()
    invite = request("INVITE")
    feed.invite(invite, CALLER)
    feed.response(invite, build_response(invite, 407))  # nothing yet: a challenge
    feed.invite(invite, CALLER)  # the retry with credentials
    feed.response(invite, build_response(invite, 180, to_tag="b1"))
    clock.now += 3
    feed.response(invite, build_response(invite, 200, to_tag="b1"))
    feed.invite(request("INVITE", to_tag="b1"), CALLER)  # re-INVITE: no new attempt
    clock.now += 30
    feed.bye(request("BYE", from_tag="b1", to_tag="a1"))
    (cdr,) = written
    assert (cdr.caller, cdr.callee, cdr.source) == (
        "sip:alice@example.com",
        "sip:bob@example.com",
        "udp:192.0.2.7:5062",
    )
    assert (cdr.disposition, cdr.billable_seconds, cdr.ended_by) == ("answered", 30, "callee")


def test_busy_cancelled_and_timed_out_attempts() -> None:
    feed, written, clock = recorder()
    busy, cancelled, lost = (request("INVITE", call_id=c) for c in ("b", "c", "l"))
    for invite in (busy, cancelled, lost):
        feed.invite(invite, CALLER)
    feed.response(busy, build_response(busy, 486))
    feed.cancel("c")
    feed.response(cancelled, build_response(cancelled, 487))
    assert feed.next_deadline() == 1_060.0
    clock.now = 1_060.0
    feed.on_timeout()
    assert [(c.call_id, c.disposition) for c in written] == [
        ("b", "busy"),
        ("c", "cancelled"),
        ("l", "failed"),
    ]
    assert feed.next_deadline() is None


def test_other_methods_are_ignored() -> None:
    feed, written, _ = recorder()
    options = request("OPTIONS")
    feed.invite(options, CALLER)
    feed.response(options, build_response(options, 200))
    feed.bye(request("BYE"))
    assert (written, len(feed.tracker)) == ([], 0)
