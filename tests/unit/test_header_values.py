"""Header value types on their own: Via, name-addr, CSeq, Content-Type, scanning helpers."""

from __future__ import annotations

import pytest

from sipwarden.errors import ParseError
from sipwarden.sip import NameAddr, Via, parse_name_addr, parse_via
from sipwarden.sip.address import parse_delta_seconds
from sipwarden.sip.scan import (
    collapse_lws,
    format_params,
    has_param,
    parse_port,
    quote,
    split_commas,
    split_outside,
    unquote,
)
from sipwarden.sip.status import reason_for
from sipwarden.sip.values import parse_content_type, parse_cseq, parse_retry_after


class TestVia:
    def test_fields_and_rendering(self) -> None:
        via = parse_via("SIP/2.0/udp 192.0.2.1:5062;branch=z9hG4bKx;rport=5070;maddr=224.0.0.1")
        assert (via.transport, via.host, via.port, via.sent_by) == (
            "UDP",
            "192.0.2.1",
            5062,
            "192.0.2.1:5062",
        )
        assert via.rport == 5070 and via.wants_rport and via.maddr == "224.0.0.1"
        assert str(via) == "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKx;rport=5070;maddr=224.0.0.1"
        assert via == parse_via(str(via)) and hash(via) == hash(parse_via(str(via)))
        assert via != "not a via" and repr(via).startswith("Via(")

    def test_bare_rport_and_no_branch(self) -> None:
        via = parse_via("SIP/2.0/TCP h.example;rport")
        assert via.rport is None and via.wants_rport and via.branch is None
        assert not via.has_rfc3261_branch and via.received is None

    def test_slow_path_with_whitespace_and_other_protocol(self) -> None:
        via = parse_via(
            "sip / 2.0 / TLS   h.example : 5061 ; branch = z9hG4bK1 ; received = 10.0.0.1"
        )
        assert via.protocol == "SIP/2.0" and via.port == 5061 and via.received == "10.0.0.1"
        assert via.branch == "z9hG4bK1"

    @pytest.mark.parametrize(
        "text",
        [
            "SIP/2.0/UDP",
            "SIP/2.0/UDP h_x.example",
            "SIP/2.0/UDP -h.example",
            "SIP/2.0/UDP a..example",
            "SIP/2.0/UDP h.example:99999",
            "SIP/2.0/UDP h.example:5060x",
            "SIP/2.0/UDP h.example;;branch=1",
            "SIP/2.0/UDP h.example;branch=",
            "SIP/2.0/U(DP h.example",
            "SIP/2.0/UDP [zz::1]",
            "SIP/2.0/UDP h.example;rport=abc",
        ],
    )
    def test_malformed(self, text: str) -> None:
        with pytest.raises(ParseError):
            via = parse_via(text)
            _ = via.rport

    def test_constructed(self) -> None:
        via = Via("tcp", "[2001:db8::1]", 5060, (("branch", "z9hG4bKa"),))
        assert str(via) == "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKa"


class TestNameAddr:
    def test_render_and_equality(self) -> None:
        a = parse_name_addr('"Alice \\"A\\"" <sip:a@x.example>;tag=1;q=0.5')
        assert a.display_name == 'Alice "A"' and a.q == 0.5
        assert str(a) == '"Alice \\"A\\"" <sip:a@x.example>;tag=1;q=0.5'
        assert parse_name_addr(str(a)) == a and hash(parse_name_addr(str(a))) == hash(a)
        assert a != "x" and repr(a).startswith("NameAddr(")
        assert str(a.with_params(())) == '"Alice \\"A\\"" <sip:a@x.example>'

    def test_star(self) -> None:
        star = parse_name_addr("*")
        assert star.is_star and str(star) == "*"

    def test_token_display_names(self) -> None:
        assert parse_name_addr("Alice  Smith <sip:a@x>").display_name == "Alice  Smith"
        assert parse_name_addr(" Bob <sip:b@x>").display_name == "Bob"

    @pytest.mark.parametrize("q", ["1.5", "0.1234", "-1", "abc", "2"])
    def test_bad_q(self, q: str) -> None:
        with pytest.raises(ParseError):
            _ = parse_name_addr(f"<sip:a@x>;q={q}").q

    def test_expires(self) -> None:
        assert parse_name_addr("<sip:a@x>;expires=60").expires == 60
        assert parse_name_addr("<sip:a@x>").expires is None and NameAddr("sip:a@x").q is None
        with pytest.raises(ParseError):
            _ = parse_name_addr("<sip:a@x>;expires=4294967296").expires

    @pytest.mark.parametrize(
        "text",
        [
            '"unclosed <sip:a@x>',
            '"name" sip:a@x',
            "<sip:a@x",
            "<sip:a@x> junk",
            "<sip:a x>",
            "Bad,Name <sip:a@x>",
            "sip:a@x?h=1",
            "<sip:a@x>;;tag=1",
        ],
    )
    def test_malformed(self, text: str) -> None:
        with pytest.raises(ParseError):
            parse_name_addr(text)


def test_delta_seconds() -> None:
    assert parse_delta_seconds("0") == 0 and parse_delta_seconds("4294967295") == 2**32 - 1
    for bad in ("-1", "1.5", "", "\u0661"):
        with pytest.raises(ParseError):
            parse_delta_seconds(bad)


def test_cseq_slow_path_and_errors() -> None:
    assert parse_cseq("7 FOO").method == "FOO" and str(parse_cseq("7  INVITE")) == "7 INVITE"
    for bad in ("x INVITE", "1", "1 IN(VITE", "2147483648 INVITE", "\u0661 INVITE"):
        with pytest.raises(ParseError):
            parse_cseq(bad)


def test_content_type_and_retry_after() -> None:
    ct = parse_content_type('Multipart/Mixed ; boundary="x y"')
    assert ct.mime == "multipart/mixed" and str(ct) == 'multipart/mixed;boundary="x y"'
    with pytest.raises(ParseError):
        parse_content_type("text/")
    assert parse_retry_after("30").seconds == 30
    with pytest.raises(ParseError):
        parse_retry_after("soon")


def test_scan_helpers() -> None:
    assert unquote('"a\\\\b"') == "a\\b" and quote('a"b\\') == '"a\\"b\\\\"'
    for bad in ('"abc', '"a"b"', '"a\\"', "abc"):
        with pytest.raises(ParseError):
            unquote(bad)
    assert collapse_lws("a \t  b") == "a b"
    assert format_params((("lr", None), ("x", "1"))) == ";lr;x=1"
    assert has_param((("LR", None),), "lr") and not has_param((), "lr")
    assert split_outside('a;"b;c";<d;e>;f', ";") == ["a", '"b;c"', "<d;e>", "f"]
    with pytest.raises(ParseError):
        split_outside("<a;b", ";")
    with pytest.raises(ParseError):
        split_outside('"a\\"', ";")
    with pytest.raises(ParseError):
        split_commas("a, ")
    with pytest.raises(ParseError):
        split_commas("  ")
    assert parse_port("0") == 0
    for bad in ("65536", "123456", "", "x"):
        with pytest.raises(ParseError):
            parse_port(bad)


def test_reason_phrases() -> None:
    assert reason_for(486) == "Busy Here" and reason_for(499) == "Bad Request"
    assert reason_for(799) == "Unknown"
