"""Message.copy() gives what re-parsing the serialized message gives (the proxy's §16.6 step 1
copy used to be made that way), without the parsing; and the copy is independent."""

from __future__ import annotations

import contextlib

import pytest

from sipwarden.errors import ParseError
from sipwarden.sip import Request, Response, build_response, parse_datagram
from tests.conformance.corpus import entries


def _reparsed(message: Request | Response) -> Request | Response:
    return parse_datagram(message.serialize())


def _same(copy: Request | Response, reparsed: Request | Response) -> None:
    assert type(copy) is type(reparsed)
    assert copy.serialize() == reparsed.serialize()
    assert copy == reparsed
    assert copy._keys == reparsed._keys
    assert copy._lines == reparsed._lines
    assert copy.body == reparsed.body
    if isinstance(copy, Request):
        assert isinstance(reparsed, Request)
        assert (copy.method, copy.uri_text) == (reparsed.method, reparsed.uri_text)
    else:
        assert isinstance(reparsed, Response)
        assert (copy.status, copy.reason) == (reparsed.status, reparsed.reason)


def _parsed_corpus() -> list[Request | Response]:
    messages = []
    for entry in entries().values():
        try:
            messages.append(parse_datagram(entry.wire))
        except ParseError:
            continue
    return messages


@pytest.mark.parametrize("index", range(len(_parsed_corpus())))
def test_copy_equals_reparse_on_the_torture_corpus(index: int) -> None:
    message = _parsed_corpus()[index]
    with contextlib.suppress(ParseError):
        message.validate()  # fills the cache the copy shares
    _same(message.copy(), _reparsed(message))


INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2\r\n"
    b"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\n"
    b"To: <sip:bob@example.com>\r\n"
    b"Call-ID: c1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"\r\n"
    b"body"
)


def test_copy_of_an_edited_message_without_content_length_adds_it_as_reparsing_does() -> None:
    request = parse_datagram(INVITE)
    assert isinstance(request, Request)
    request.decrement_max_forwards()
    copy = request.copy()
    _same(copy, _reparsed(request))
    assert copy.has("content-length")


def test_copy_of_a_built_response_equals_reparse() -> None:
    request = parse_datagram(INVITE)
    assert isinstance(request, Request)
    response = build_response(request, 180, "Ringing")
    _same(response.copy(), _reparsed(response))


def test_edits_of_the_copy_do_not_show_in_the_original_and_back() -> None:
    request = parse_datagram(INVITE)
    assert isinstance(request, Request)
    routes, vias = request.routes, request.vias
    copy = request.copy()
    copy.pop_value("route")
    copy.push_via("SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK9")
    copy.set_uri("sip:carol@example.com")
    assert request.routes == routes and len(request.routes) == 2
    assert request.vias == vias and len(request.vias) == 2
    assert request.uri_text == "sip:bob@example.com"
    assert request.serialize() == INVITE
    request.set_max_forwards(3)
    assert copy.max_forwards == 70
    assert len(copy.routes) == 1 and len(copy.vias) == 3


RESPONSE = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.7,"
    b" SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
    b"Via: SIP/2.0/TCP h3;branch=z9hG4bK3\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\n"
    b"To: <sip:bob@example.com>;tag=2\r\n"
    b"Call-ID: c1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


@pytest.mark.parametrize("warm", ["none", "top_via", "vias"])
def test_pop_via_returns_the_parsed_top_via_whatever_was_cached(warm: str) -> None:
    """pop_via() reuses a Via parsed before (transaction matching parses it): same result as
    parsing the popped text, and the next pop sees the next value."""
    response = parse_datagram(RESPONSE)
    fresh = parse_datagram(RESPONSE)
    if warm != "none":
        getattr(response, warm)
    popped = [str(response.pop_via()) for _ in range(3)]
    assert popped == [str(fresh.pop_via()) for _ in range(3)]
    assert popped == [
        "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.7",
        "SIP/2.0/UDP h2;branch=z9hG4bK2",
        "SIP/2.0/TCP h3;branch=z9hG4bK3",
    ]
    with pytest.raises(ParseError):
        response.pop_via()
