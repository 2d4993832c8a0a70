"""Stream framing for TCP/TLS (RFC 3261 §18.3, RFC 5626 §3.5.1 keep-alives)."""

from __future__ import annotations

import pytest

from sipwarden.errors import ParseError
from sipwarden.sip import KeepAlive, Request, StreamFramer

MSG = (
    b"MESSAGE sip:b@y.example SIP/2.0\r\nVia: SIP/2.0/TCP h.example;branch=z9hG4bK1\r\n"
    b"From: <sip:a@x.example>;tag=1\r\nTo: <sip:b@y.example>\r\nCall-ID: c1\r\n"
    b"CSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 5\r\n\r\nhello"
)


def drain(framer: StreamFramer) -> list[object]:
    out: list[object] = []
    while (event := framer.next_event()) is not None:
        out.append(event)
    return out


def test_two_messages_in_one_read() -> None:
    framer = StreamFramer()
    framer.feed(MSG + MSG)
    events = drain(framer)
    assert len(events) == 2 and all(isinstance(e, Request) for e in events)
    assert all(e.serialize() == MSG for e in events if isinstance(e, Request))
    assert framer.buffered == 0


def test_byte_by_byte() -> None:
    framer = StreamFramer()
    events: list[object] = []
    for i in range(len(MSG)):
        framer.feed(MSG[i : i + 1])
        events += drain(framer)
    assert len(events) == 1 and isinstance(events[0], Request) and events[0].body == b"hello"


def test_keepalive_ping_and_pong() -> None:
    framer = StreamFramer()
    framer.feed(b"\r\n\r\n" + MSG + b"\r\n" + MSG)
    events = drain(framer)
    assert events[0] == KeepAlive(ping=True)
    assert isinstance(events[1], Request)
    assert events[2] == KeepAlive(ping=False)
    assert isinstance(events[3], Request)


def test_partial_body_waits() -> None:
    framer = StreamFramer()
    framer.feed(MSG[:-2])
    assert framer.next_event() is None
    framer.feed(MSG[-2:])
    assert isinstance(framer.next_event(), Request)


def test_pending_is_what_is_buffered_past_the_last_whole_message() -> None:
    framer = StreamFramer()
    assert framer.pending() == b""
    framer.feed(MSG + b"\r\n\r\n" + MSG[:30])
    assert framer.pending() == MSG + b"\r\n\r\n" + MSG[:30]
    message, keepalive = drain(framer)
    assert isinstance(message, Request) and keepalive == KeepAlive(ping=True)
    assert framer.pending() == MSG[:30] and len(framer.pending()) == framer.buffered
    framer.feed(MSG[30:])
    assert isinstance(framer.next_event(), Request) and framer.pending() == b""


def test_missing_content_length_loses_framing() -> None:
    framer = StreamFramer()
    framer.feed(MSG.replace(b"Content-Length: 5\r\n", b""))
    with pytest.raises(ParseError, match="Content-Length"):
        framer.next_event()


@pytest.mark.parametrize("value", [b"-5", b"abc", b"99999999999"])
def test_bad_content_length(value: bytes) -> None:
    framer = StreamFramer()
    framer.feed(MSG.replace(b"Content-Length: 5", b"Content-Length: " + value))
    with pytest.raises(ParseError):
        framer.next_event()


def test_size_limit_without_end_of_headers() -> None:
    framer = StreamFramer(max_size=1000)
    framer.feed(b"INVITE sip:a@b SIP/2.0\r\n" + b"X: " + b"y" * 1200)
    with pytest.raises(ParseError) as caught:
        framer.next_event()
    assert caught.value.status == 413


def test_size_limit_by_declared_length() -> None:
    framer = StreamFramer(max_size=1000)
    framer.feed(MSG.replace(b"Content-Length: 5", b"Content-Length: 5000"))
    with pytest.raises(ParseError) as caught:
        framer.next_event()
    assert caught.value.status == 413
