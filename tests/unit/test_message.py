"""The message layer: parsing, typed access, edits that touch only their lines, serialization."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip import Request, Response, SipUri, parse_datagram, parse_message

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def test_unmodified_message_serializes_to_its_bytes() -> None:
    m = parse_message(INVITE)
    assert m.serialize() is INVITE or m.serialize() == INVITE


def test_typed_accessors() -> None:
    m = parse_message(INVITE)
    assert isinstance(m, Request)
    assert m.method == "INVITE" and isinstance(m.uri, SipUri) and m.uri.user == "bob"
    assert m.top_via.host == "pc33.atlanta.example.com" and m.top_via.port is None
    assert m.top_via.branch == "z9hG4bK776asdhds" and m.top_via.has_rfc3261_branch
    assert m.max_forwards == 70
    assert m.from_.display_name == "Alice" and m.from_.tag == "1928301774"
    assert m.to.tag is None and m.to.display_name == "Bob"
    assert m.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert (m.cseq.seq, m.cseq.method) == (314159, "INVITE")
    assert m.body == b"v=0\n" and m.content_length == 4


def test_compact_forms_and_case_insensitive_names() -> None:
    data = (
        b"OPTIONS sip:a@b.example SIP/2.0\r\n"
        b"v: SIP/2.0/TCP h.example;branch=z9hG4bK1\r\n"
        b"f: <sip:x@y.example>;tag=1\r\nt: sip:a@b.example\r\ni: abc\r\n"
        b"cSeQ: 1 OPTIONS\r\nk: path, gruu\r\nm: <sip:x@1.2.3.4>\r\nl: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert m.top_via.transport == "TCP" and m.call_id == "abc"
    assert m.supported == ["path", "gruu"] and m.has("Supported") and m.has("k")
    assert m.header("Content-Length") == "0" and m.header("CALL-ID") == "abc"


def test_list_headers_split_outside_quotes_and_brackets() -> None:
    data = INVITE.replace(
        b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n",
        b'Contact: "A, B" <sip:a@h.example;x=1,2>;q=0.5, <sip:b@h.example>\r\n'
        b"Contact: sip:c@h.example;expires=60\r\n",
    )
    m = parse_message(data)
    assert [c.display_name for c in m.contacts] == ["A, B", None, None]
    assert m.contacts[0].uri_text == "sip:a@h.example;x=1,2" and m.contacts[0].q == 0.5
    assert m.contacts[2].expires == 60


def test_contact_star() -> None:
    data = INVITE.replace(b"Contact: <sip:alice@pc33.atlanta.example.com>", b"Contact: *")
    m = parse_message(data)
    assert m.contacts[0].is_star


def test_folded_header_kept_byte_exact_and_read_unfolded() -> None:
    data = INVITE.replace(
        b"Max-Forwards: 70\r\n", b"Subject: hello\r\n  world\r\nMax-Forwards: 70\r\n"
    )
    m = parse_message(data)
    assert m.header("Subject") == "hello world"
    m.decrement_max_forwards()
    assert b"Subject: hello\r\n  world\r\n" in m.serialize()


def test_push_via_and_max_forwards_touch_only_their_lines() -> None:
    m = parse_message(INVITE)
    m.push_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1")
    assert m.decrement_max_forwards() == 69
    out = m.serialize()
    expected = INVITE.replace(
        b"Via:", b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1\r\nVia:", 1
    ).replace(b"Max-Forwards: 70", b"Max-Forwards: 69")
    assert out == expected
    again = parse_message(out)
    assert [v.branch for v in again.vias] == ["z9hG4bKp1", "z9hG4bK776asdhds"]


def test_max_forwards_added_when_absent() -> None:
    m = parse_message(INVITE.replace(b"Max-Forwards: 70\r\n", b""))
    assert m.max_forwards is None
    assert m.decrement_max_forwards() == 70
    assert parse_message(m.serialize()).max_forwards == 70


def test_pop_via_from_a_combined_line() -> None:
    data = (
        b"SIP/2.0 180 Ringing\r\n"
        b"Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKa, "
        b"SIP/2.0/UDP c.example.com;branch=z9hG4bKb\r\n"
        b"From: <sip:a@x.example>;tag=1\r\nTo: <sip:b@y.example>;tag=2\r\n"
        b"Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert isinstance(m, Response) and m.status == 180 and m.reason == "Ringing"
    assert m.pop_via().branch == "z9hG4bKa"
    assert m.serialize() == data.replace(b"SIP/2.0/UDP p.example.com;branch=z9hG4bKa, ", b"")
    assert m.pop_via().branch == "z9hG4bKb"
    assert not m.has("Via")
    with pytest.raises(ParseError):
        m.pop_via()


def test_record_route_inserted_on_top() -> None:
    data = INVITE.replace(b"Contact:", b"Record-Route: <sip:p2.example.com;lr>\r\nContact:")
    m = parse_message(data)
    m.insert_header("Record-Route", "<sip:p1.example.com;lr>")
    assert [r.uri_text for r in parse_message(m.serialize()).record_routes] == [
        "sip:p1.example.com;lr",
        "sip:p2.example.com;lr",
    ]


def test_rewrite_request_uri_changes_only_the_request_line() -> None:
    m = parse_message(INVITE)
    assert isinstance(m, Request)
    m.set_uri("sip:bob@192.0.2.4:5062")
    out = m.serialize()
    assert out == INVITE.replace(
        b"INVITE sip:bob@biloxi.example.com", b"INVITE sip:bob@192.0.2.4:5062"
    )
    with pytest.raises(LocalError):
        m.set_uri("sip:bad uri")


def test_add_remove_set_header() -> None:
    m = parse_message(INVITE)
    m.add_header("X-Trace", "1")
    m.add_header("X-Trace", "2")
    assert m.header_lines("X-Trace") == ["1", "2"]
    m.set_header("X-Trace", "3")
    assert m.header_lines("X-Trace") == ["3"]
    assert m.remove_header("x-trace") == 1 and not m.has("X-Trace")
    assert m.serialize() == INVITE
    with pytest.raises(LocalError):
        m.add_header("X-Evil", "a\r\nVia: injected")


def test_body_edit_keeps_content_length_right() -> None:
    m = parse_message(INVITE)
    m.set_body(b"hello world", "text/plain")
    out = parse_message(m.serialize())
    assert out.body == b"hello world" and out.header("Content-Length") == "11"
    assert out.content_type is not None and out.content_type.mime == "text/plain"
    m.set_body(b"")
    out = parse_message(m.serialize())
    assert out.body == b"" and out.content_type is None and out.header("Content-Length") == "0"


def test_every_edit_after_a_serialize_shows_in_the_next_one() -> None:
    """serialize() keeps the bytes it built from edited lines until the next edit."""
    m = parse_message(INVITE)
    m.decrement_max_forwards()
    first = m.serialize()
    assert b"Max-Forwards: 69\r\n" in first and m.serialize() is first
    m.decrement_max_forwards()
    assert b"Max-Forwards: 68\r\n" in m.serialize()
    m.push_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew")
    assert parse_message(m.serialize()).top_via.branch == "z9hG4bKnew"
    m.set_uri("sip:carol@example.com")
    assert m.serialize().startswith(b"INVITE sip:carol@example.com SIP/2.0\r\n")
    m.set_body(b"hello", "text/plain")
    assert parse_message(m.serialize()).body == b"hello"
    copy = m.copy()
    copy.decrement_max_forwards()
    assert b"Max-Forwards: 67\r\n" in copy.serialize()
    assert b"Max-Forwards: 68\r\n" in m.serialize()


def test_content_length_added_when_a_message_without_one_is_edited() -> None:
    data = INVITE.replace(b"Content-Length: 4\r\n", b"")
    m = parse_datagram(data)
    assert m.body == b"v=0\n" and not m.has("Content-Length")
    assert m.serialize() == data
    m.decrement_max_forwards()
    out = m.serialize()
    assert out.endswith(b"Content-Length: 4\r\n\r\nv=0\n")


def test_bare_lf_message_is_tolerated_and_normalized() -> None:
    m = parse_message(INVITE.replace(b"\r\n", b"\n"))
    assert m.call_id == "a84b4c76e66710@pc33.atlanta.example.com" and m.body == b"v=0\n"
    assert m.serialize() == INVITE


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (b"INVITE sip:a@b SIP/2.0\r\n", 400),
        (b"INVITE sip:a@b SIP/3.0\r\nVia: x\r\n\r\n", 505),
        (b"INVITE  sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", 400),
        (b"INV(ITE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP/2.0\r\n continuation\r\n\r\n", 400),
        (b"SIP/2.0 99 Low\r\nVia: x\r\n\r\n", 400),
        (b"SIP/2.0 7000 High\r\nVia: x\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nabc", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: +3\r\n\r\nabc", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nl: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ],
)
def test_malformed_framing_and_start_lines(data: bytes, status: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_datagram(data)
    assert caught.value.status == status


def test_size_and_header_count_limits() -> None:
    with pytest.raises(ParseError) as caught:
        parse_datagram(INVITE + b"x" * 70000)
    assert caught.value.status == 413
    many = INVITE.replace(b"Contact:", b"X-A: 1\r\n" * 300 + b"Contact:")
    with pytest.raises(ParseError, match="too many"):
        parse_datagram(many)
    assert parse_datagram(many, max_headers=400).has("X-A")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"CSeq: 314159 INVITE", b"CSeq: 2147483648 INVITE", "CSeq"),
        (b"CSeq: 314159 INVITE", b"CSeq: 1 BYE", "CSeq method"),
        (b"Max-Forwards: 70", b"Max-Forwards: 256", "Max-Forwards"),
        (b"Max-Forwards: 70", b"Max-Forwards: -1", "Max-Forwards"),
        (b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com", b"Call-ID: a b", "Call-ID"),
        (
            b"To: Bob <sip:bob@biloxi.example.com>",
            b'To: "Bob <sip:bob@biloxi.example.com>',
            "quoted",
        ),
        (b"To: Bob <sip:bob@biloxi.example.com>", b"To: Bob <sip:bob@biloxi.example.com", "To"),
        (b"Via: SIP/2.0/UDP pc33", b"Via: SIP/2.0/UDP pc_33", "Via"),
        (b"Content-Type: application/sdp", b"Content-Type: sdp", "Content-Type"),
    ],
)
def test_validate_rejects_broken_essential_headers(old: bytes, new: bytes, reason: str) -> None:
    m = parse_datagram(INVITE.replace(old, new))
    with pytest.raises(ParseError, match=reason) as caught:
        m.validate()
    assert caught.value.status == 400


def test_equality_is_semantic() -> None:
    a = parse_datagram(INVITE)
    b = parse_datagram(INVITE.replace(b"Max-Forwards: 70", b"Max-Forwards:   70"))
    c = parse_datagram(INVITE.replace(b"Max-Forwards: 70", b"Max-Forwards: 69"))
    assert a == b and a != c


def test_retry_after_expires_and_tokens() -> None:
    data = (
        b"SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n"
        b"From: <sip:a@x.example>;tag=1\r\nTo: <sip:b@y.example>;tag=2\r\nCall-ID: c\r\n"
        b"CSeq: 1 REGISTER\r\nRetry-After: 120 (maintenance);duration=60\r\n"
        b"Expires: 3600\r\nMin-Expires: 60\r\nAllow: INVITE, ACK\r\nUnsupported: foo\r\n"
        b"Require: 100rel\r\nContent-Length: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert m.retry_after is not None
    assert (m.retry_after.seconds, m.retry_after.comment) == (120, "maintenance")
    assert m.retry_after.params == (("duration", "60"),)
    assert (m.expires, m.min_expires) == (3600, 60)
    assert m.allow == ["INVITE", "ACK"] and m.unsupported == ["foo"] and m.require == ["100rel"]


def test_paths_and_routes() -> None:
    data = INVITE.replace(
        b"Contact:",
        b"Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\r\n"
        b"Path: <sip:e.example;lr>\r\nContact:",
    )
    m = parse_message(data)
    assert [r.uri_text for r in m.routes] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert m.pop_value("Route") == "<sip:p1.example.com;lr>"
    assert [r.uri_text for r in parse_message(m.serialize()).routes] == ["sip:p2.example.com;lr"]
    assert [p.uri_text for p in m.paths] == ["sip:e.example;lr"]


def test_digest_headers_are_typed_and_never_split_on_commas() -> None:
    data = (
        b"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n"
        b"From: <sip:a@x.example>;tag=1\r\nTo: <sip:a@x.example>;tag=2\r\nCall-ID: c\r\n"
        b"CSeq: 1 REGISTER\r\n"
        b'WWW-Authenticate: Digest realm="x.example", nonce="n1", qop="auth,auth-int", '
        b"algorithm=SHA-256\r\n"
        b'WWW-Authenticate: Digest realm="x.example", nonce="n1", qop="auth"\r\n'
        b"Content-Length: 0\r\n\r\n"
    )
    m = parse_message(data)
    sha, md5 = m.www_authenticate
    assert sha.algorithm == "SHA-256" and sha.qop_options == ("auth", "auth-int")
    assert md5.algorithm == "MD5" and md5.realm == "x.example"
    assert m.proxy_authenticate == [] and m.authorization == []
    req = parse_message(
        INVITE.replace(
            b"Contact:",
            b'Proxy-Authorization: Digest username="alice", realm="x.example", nonce="n1", '
            b'uri="sip:bob@biloxi.example.com", response="0123456789abcdef0123456789abcdef"\r\n'
            b"Contact:",
        )
    )
    (credentials,) = req.proxy_authorization
    assert credentials.username == "alice" and credentials.uri == "sip:bob@biloxi.example.com"


def test_replace_top_via_keeps_the_rest_of_a_combined_line() -> None:
    data = INVITE.replace(
        b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n",
        b"Via: SIP/2.0/UDP a.example;branch=z9hG4bKa, SIP/2.0/UDP b.example;branch=z9hG4bKb\r\n",
    )
    m = parse_message(data)
    assert m.top_via.host == "a.example"
    m.replace_top_via("SIP/2.0/UDP a.example;branch=z9hG4bKa;received=192.0.2.1")
    assert m.top_via.received == "192.0.2.1"
    assert [v.host for v in m.vias] == ["a.example", "b.example"]
    assert m.raw_lines()[0].startswith(b"Via: SIP/2.0/UDP a.example;branch=z9hG4bKa;received=")
    assert m.header_lines("Via")[0].endswith(", SIP/2.0/UDP b.example;branch=z9hG4bKb")
    m.remove_header("Via")
    with pytest.raises(ParseError):
        m.replace_top_via("SIP/2.0/UDP x.example")
