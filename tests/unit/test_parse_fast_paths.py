"""The cheaper parsing paths of the message layer give what the general code gives.

Header values and names are cut from decoded text rather than bytes, the usual Content-Type and
lower Vias of a response are checked by one match, parsed URIs are reused by their text: each is
compared here with the code it shortcuts, on ordinary, odd and hostile input.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipwarden.errors import ParseError
from sipwarden.sip import address as address_module
from sipwarden.sip import parse_datagram
from sipwarden.sip import uri as uri_module
from sipwarden.sip.address import parse_name_addr
from sipwarden.sip.message import Response, decode_value, unfold
from sipwarden.sip.names import key_of
from sipwarden.sip.parser import _parse_careful_head, parse_head
from sipwarden.sip.uri import parse_uri
from sipwarden.sip.values import _parse_content_type_checked, parse_content_type


def _decode_value_bytes(line: bytes) -> str:
    """decode_value() as it was written on bytes: the reference."""
    value = line[line.find(b":") + 1 :]
    if b"\n" in value:
        value = unfold(value)
    return value.strip(b" \t").decode("utf-8", "surrogateescape")


_LINE_BYTES = st.lists(
    st.sampled_from(
        [b"Via", b":", b" ", b"\t", b"\r\n", b"\n", b"x", b"\xc3\xa9", b"\xff", b"\xc3", b"5"]
    ),
    max_size=12,
).map(b"".join)


@given(_LINE_BYTES)
def test_decode_value_agrees_with_cutting_the_bytes(line: bytes) -> None:
    assert decode_value(line) == _decode_value_bytes(line)


def test_decode_value_examples() -> None:
    for line in (
        b"Subject: caf\xc3\xa9 ",
        b"Subject:\t\xff\xfe\t",
        b"Subject: a\r\n  b",
        b"Subject:",
        b"X: a: b",
        b"no colon at all",
    ):
        assert decode_value(line) == _decode_value_bytes(line), line


def _outcome(parse: object, value: object) -> object:
    assert callable(parse)
    try:
        result = parse(value)
    except ParseError as exc:
        return ("error", str(exc), exc.status)
    return ("ok", result)


_HEAD_LINES = [
    b"Via: SIP/2.0/UDP h",
    b"Via\xff: x",
    b"\xc3\xa9: x",
    b"V\xc3\xa9a: x",
    b"f: <sip:a@b>",
    b"Content-Length: 0",
    b"Content-Length: \xd9\xa1",
    b"l: 0",
    b" folded",
    b"X: \xff",
]


@given(st.lists(st.sampled_from(_HEAD_LINES), min_size=1, max_size=6))
def test_parse_head_with_non_ascii_lines_matches_careful(lines: list[bytes]) -> None:
    head = b"\r\n".join([b"OPTIONS sip:a@b SIP/2.0", *lines])

    def run(parse: object) -> object:
        assert callable(parse)
        h = parse(head)
        return (h.start, h.keys, h.lines, h.content_length)

    fast = _outcome(run, parse_head)
    careful = _outcome(run, lambda h: _parse_careful_head(h.split(b"\r\n")))
    assert fast == careful


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([b"Content-Length: 12"], 12),
        ([b"Content-Length:\t 0012 "], 12),
        ([b"Content-Length: 3", b"l: 3"], 3),
        ([b"Content-Length: \xd9\xa1"], None),  # an Arabic-Indic digit is not a DIGIT
        ([b"Content-Length: \xc2\xb2"], None),  # nor is a superscript two
        ([b"Content-Length: "], None),
        ([b"Content-Length: -1"], None),
        ([b"Content-Length: 12345678901"], None),
        ([b"Content-Length: 3", b"l: 4"], None),
    ],
)
def test_content_length_digits(lines: list[bytes], expected: int | None) -> None:
    head = b"\r\n".join([b"OPTIONS sip:a@b SIP/2.0", *lines])
    if expected is None:
        with pytest.raises(ParseError):
            parse_head(head)
    else:
        assert parse_head(head).content_length == expected


_MEDIA_PIECES = [
    "application",
    "/",
    "sdp",
    "Text",
    "PLAIN",
    ";",
    "charset",
    "=",
    "UTF-8",
    '"q"',
    " ",
    "\t",
    "[::1]",
    "é",
    ",",
    "\x0b",
    "",
]


@given(st.lists(st.sampled_from(_MEDIA_PIECES), max_size=8).map("".join))
def test_content_type_fast_path_matches_checked(value: str) -> None:
    assert _outcome(parse_content_type, value) == _outcome(_parse_content_type_checked, value)


def test_content_type_usual_values() -> None:
    for value in (
        "application/sdp",
        "Application/SDP",
        "text/plain;charset=UTF-8",
        "multipart/mixed;boundary=unique-boundary-1",
        "text/plain; charset=UTF-8",
        'text/plain;charset="UTF-8"',
        "text / plain",
    ):
        assert parse_content_type(value) == _parse_content_type_checked(value), value


def _response(*vias: str) -> bytes:
    lines = [f"Via: {via}" for via in vias]
    return "\r\n".join(
        [
            "SIP/2.0 200 OK",
            *lines,
            "From: <sip:a@a.example>;tag=1",
            "To: <sip:b@b.example>;tag=2",
            "Call-ID: c1",
            "CSeq: 1 INVITE",
            "Content-Length: 0",
            "",
            "",
        ]
    ).encode()


def test_response_validate_checks_every_via_and_keeps_the_top() -> None:
    message = parse_datagram(
        _response("SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2-x.example:5062;branch=z9hG4bK2")
    )
    assert isinstance(message, Response)
    message.validate()
    assert message.top_via.host == "h1"
    assert [via.host for via in message.vias] == ["h1", "h2-x.example"]
    assert message.vias[1].port == 5062


@pytest.mark.parametrize(
    "vias",
    [
        ("SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP -bad;branch=z9hG4bK2"),
        ("SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2:99999"),
        ("SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2;;x"),
        ("SIP/2.0/UDP h1;branch=z9hG4bK1", "garbage"),
        ("SIP/2.0/UDP h1, ",),
        ("garbage", "SIP/2.0/UDP h1"),
        (),
    ],
)
def test_response_validate_rejects_what_parsing_every_via_rejects(vias: tuple[str, ...]) -> None:
    data = _response(*vias)
    checked = parse_datagram(data)
    with pytest.raises(ParseError) as error:
        checked.validate()
    reference = parse_datagram(data)
    with pytest.raises(ParseError) as expected:
        if not reference.vias:
            raise ParseError("missing Via header")
    assert (error.value.status, error.value.reason) == (
        expected.value.status,
        expected.value.reason,
    )


def test_response_validate_after_vias_were_read() -> None:
    message = parse_datagram(_response("SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2"))
    assert len(message.vias) == 2
    message.validate()
    empty = parse_datagram(_response())
    assert empty.vias == []
    with pytest.raises(ParseError, match="missing Via"):
        empty.validate()


def test_response_validate_uses_a_top_via_already_parsed() -> None:
    message = parse_datagram(_response("SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2"))
    top = message.top_via
    message.validate()
    assert message.top_via is top


def test_parsed_uris_are_reused_and_the_cache_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uri_module, "_PARSED", {})
    first = parse_uri("sip:alice@atlanta.example.com:5060;transport=udp")
    again = parse_uri("sip:alice@atlanta.example.com:5060;transport=udp")
    assert again is first
    assert again == uri_module._parse_uri("sip:alice@atlanta.example.com:5060;transport=udp")
    for i in range(uri_module.PARSED_CACHE_SIZE + 5):
        parse_uri(f"sip:u{i}@h.example")
    assert len(uri_module._PARSED) <= uri_module.PARSED_CACHE_SIZE
    for _ in range(2):  # a failure is not kept: it raises each time
        with pytest.raises(ParseError):
            parse_uri("sip:a@b:99999")
    assert "sip:a@b:99999" not in uri_module._PARSED


def test_known_header_keys_are_the_interned_literals() -> None:
    """Compared with a literal, a key matches on identity (mypyc interns every literal)."""
    head = parse_head(b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\ni: y\r\nX-Odd: z\r\nCSEQ: 1 A")
    call_id = sys.intern("call-id")
    assert head.keys[0] is call_id
    assert head.keys[1] is call_id
    assert head.keys[3] is sys.intern("cseq")
    assert key_of("Call-ID") is call_id
    assert key_of("i") is call_id
    assert key_of("X-Odd") == head.keys[2] == "x-odd"


def test_absent_headers_without_exceptions() -> None:
    message = parse_datagram(_response("SIP/2.0/UDP h1;branch=z9hG4bK1"))
    assert message.header("subject") is None
    assert message.pop_value("route") is None
    message.insert_header("Route", "<sip:r1;lr>")
    assert message.header_lines("route") == ["<sip:r1;lr>"]
    message.insert_header("Route", "<sip:r0;lr>")
    assert message.header_lines("route") == ["<sip:r0;lr>", "<sip:r1;lr>"]
    message.set_header("Subject", "s")
    message.set_header("Subject", "t")
    assert message.header("subject") == "t"


def test_long_uris_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uri_module, "_PARSED", {})
    text = "sip:" + "a" * uri_module.PARSED_CACHE_MAX_TEXT + "@h.example"
    assert str(parse_uri(text)) == text
    assert uri_module._PARSED == {}


def test_parsed_addresses_are_reused_and_the_cache_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(address_module, "_PARSED", {})
    value = "sipp <sip:sipp@127.0.0.1:15070>;tag=0SIPpTag000"
    first = parse_name_addr(value, what="From")
    assert parse_name_addr(value, what="To") is first
    assert first == address_module._parse_name_addr(value, "From")
    assert first.uri is parse_name_addr(value).uri
    for i in range(address_module.PARSED_CACHE_SIZE + 5):
        parse_name_addr(f"<sip:u{i}@h.example>;tag={i}")
    assert len(address_module._PARSED) <= address_module.PARSED_CACHE_SIZE
    long_value = "<sip:" + "a" * address_module.PARSED_CACHE_MAX_TEXT + "@h.example>"
    assert parse_name_addr(long_value).uri_text.startswith("sip:a")
    assert long_value not in address_module._PARSED
    for what in ("From", "To"):  # a failure is not kept, and names its header each time
        with pytest.raises(ParseError, match=what):
            parse_name_addr("<sip:a@b> junk", what=what)


@given(
    st.sampled_from(["<", ">", "sip:", "a", "@", "é", "\x01", " ", '"', ";tag=1", ":5"]).map(str)
)
def test_ascii_uri_fastest_path_matches_checked(piece: str) -> None:
    for value in (f"<sip:{piece}b>", f"A <sip:a{piece}>;x", f'"N" <{piece}sip:a>'):
        assert _outcome(lambda v: address_module._parse_name_addr(v, "From"), value) == _outcome(
            lambda v: address_module._parse_name_addr_checked(v, "From"), value
        )
