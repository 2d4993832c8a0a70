"""Response building (RFC 3261 §8.2.6) and stateless error answers."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip import Request, build_response, parse_datagram, parse_message, stateless_error

REQ = (
    b"OPTIONS sip:b@y.example SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP  h1.example ;branch=z9hG4bK1;odd=x\r\n"
    b"Via: SIP/2.0/UDP h0.example;branch=z9hG4bK0\r\n"
    b"Max-Forwards: 70\r\nFrom: <sip:a@x.example>;tag=1\r\nTo: <sip:b@y.example>\r\n"
    b"Call-ID: c1\r\nCSeq: 7 OPTIONS\r\nTimestamp: 54\r\nContent-Length: 0\r\n\r\n"
)


def request() -> Request:
    m = parse_message(REQ)
    assert isinstance(m, Request)
    return m


def test_copies_headers_byte_exact_and_adds_to_tag() -> None:
    r = build_response(request(), 200, headers=[("Allow", "INVITE, OPTIONS")])
    out = r.serialize()
    assert out.startswith(b"SIP/2.0 200 OK\r\n")
    assert b"Via: SIP/2.0/UDP  h1.example ;branch=z9hG4bK1;odd=x\r\n" in out
    again = parse_message(out)
    assert [v.branch for v in again.vias] == ["z9hG4bK1", "z9hG4bK0"]
    assert again.from_.tag == "1" and again.to.tag and again.call_id == "c1"
    assert str(again.cseq) == "7 OPTIONS" and again.allow == ["INVITE", "OPTIONS"]
    assert not again.has("Timestamp") and not again.has("Max-Forwards")


def test_to_tag_is_stable_across_retransmissions_and_can_be_given() -> None:
    a = build_response(request(), 486).to.tag
    b = build_response(request(), 486).to.tag
    assert a == b and a
    assert build_response(request(), 486, to_tag="xyz").to.tag == "xyz"


def test_existing_to_tag_is_kept() -> None:
    m = parse_message(REQ.replace(b"To: <sip:b@y.example>", b"To: <sip:b@y.example>;tag=99"))
    assert isinstance(m, Request)
    assert build_response(m, 200).to.tag == "99"


def test_100_trying_has_no_tag_and_copies_timestamp() -> None:
    out = parse_message(build_response(request(), 100).serialize())
    assert out.to.tag is None and out.header("Timestamp") == "54"


def test_body_and_reason() -> None:
    r = build_response(request(), 488, "Nope", body=b"abc", content_type="text/plain")
    out = parse_message(r.serialize())
    assert out.body == b"abc" and out.header("Content-Length") == "3"
    assert r.reason == "Nope"
    with pytest.raises(LocalError):
        build_response(request(), 99)
    with pytest.raises(LocalError):
        build_response(request(), 400, "bad\r\nVia: x")


def test_stateless_error_for_a_broken_but_addressable_request() -> None:
    data = REQ.replace(b"CSeq: 7 OPTIONS", b"CSeq: seven OPTIONS")
    with pytest.raises(ParseError) as caught:
        parse_message(data)
    reply = stateless_error(data, caught.value)
    assert reply is not None
    out = parse_datagram(reply)
    assert reply.startswith(b"SIP/2.0 400 malformed CSeq\r\n")
    assert [v.branch for v in out.vias] == ["z9hG4bK1", "z9hG4bK0"] and out.to.tag


@pytest.mark.parametrize(
    "data",
    [
        b"garbage",
        b"\x00\xff" * 40,
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
        b"OPTIONS sip:b@y SIP/2.0\r\nFrom: x\r\n\r\n",
        b"OPTIONS sip:b@y SIP/2.0\r\nVia: nonsense\r\n\r\n",
    ],
)
def test_stateless_error_drops_what_cannot_be_addressed(data: bytes) -> None:
    assert stateless_error(data, ParseError("bad")) is None


def test_build_request_from_parts() -> None:
    from sipwarden.sip import build_request

    req = build_request(
        "MESSAGE",
        "sip:bob@y.example",
        [("Via", "SIP/2.0/UDP h.example;branch=z9hG4bKm1"), ("Max-Forwards", "70"),
         ("f", "<sip:a@x.example>;tag=1"), ("To", "<sip:bob@y.example>"), ("Call-ID", "m1"),
         ("CSeq", "1 MESSAGE"), ("Content-Length", "999")],
        body=b"hi",
        content_type="text/plain",
    )  # fmt: skip
    out = parse_message(req.serialize())
    assert isinstance(out, Request) and out.method == "MESSAGE" and out.body == b"hi"
    assert out.header("Content-Length") == "2" and out.from_.tag == "1"
    assert b"\r\nFrom: <sip:a@x.example>;tag=1\r\n" in req.serialize()
    with pytest.raises(LocalError):
        build_request("BAD METHOD", "sip:x", [])
    with pytest.raises(LocalError):
        build_request("OPTIONS", "sip:x y", [])


def test_content_length_among_extra_headers_is_never_duplicated() -> None:
    r = build_response(request(), 200, headers=[("Content-Length", "99")], body=b"ab")
    out = parse_message(r.serialize())
    assert out.header_lines("Content-Length") == ["2"] and out.body == b"ab"
