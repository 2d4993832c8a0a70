"""The hand-written scanners (Via, name-addr, plain parameters) agree with the regex paths.

Each scanner returns None for a shape it does not read and the caller falls back to the regex
paths; when it does return a value (or raise), that must be what the checked path gives for the
same text. The values are generated near the scanners' shapes, so both their acceptances and
their refusals are exercised, and the usual values are required to take the scanner.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sipwarden.errors import ParseError
from sipwarden.sip.address import _parse_name_addr_checked, _scan_name_addr
from sipwarden.sip.names import TEXT_LINE_KEYS
from sipwarden.sip.parser import line_key
from sipwarden.sip.scan import (
    PLAIN_PARAMS,
    is_ascii_digits,
    is_token,
    scan_plain_params,
    split_plain_params,
)
from sipwarden.sip.via import _parse_via_checked, _scan_via, check_via

_CHARS = "aZ09-.!%*_+`'~ \t:;=@[]<>\"\\,?/é\x7f\r\n"
_TOKENS = st.sampled_from(["a", "Bob", "z9hG4bK-1-2", "x.y", "-", "!%*_+`'~", "lr", "tag"])
_HOSTS = st.sampled_from(
    ["127.0.0.1", "host-a.example.com", "a..b", "-x", "x-", "h", "A1.b2", "1.2.3.4.", "[::1]"]
)
_PORTS = st.sampled_from(["", ":5060", ":65535", ":65536", ":99999", ":0", ":", ":123456"])
_PARAM = st.one_of(
    st.builds(lambda n: f";{n}", _TOKENS),
    st.builds(lambda n, v: f";{n}={v}", _TOKENS, _TOKENS),
    st.sampled_from([";", ";=", ";a=", ";received=[::1]", "; x", ";a=b=c", ";é", ";rport"]),
)
_PARAMS = st.lists(_PARAM, max_size=4).map("".join)
_NOISE = st.text(alphabet=_CHARS, max_size=3)


def _outcome(parse: object, value: str) -> object:
    assert callable(parse)
    try:
        result = parse(value)
    except ParseError as exc:
        return ("error", str(exc))
    if result is None:
        return None
    slots = getattr(result, "__slots__", ())
    return (str(result), [getattr(result, name) for name in slots if not name.startswith("_")])


def _scanned_agrees(scan: object, checked: object, value: str) -> bool:
    """True when the scanner declines `value` or gives what the checked path gives."""
    scanned = _outcome(scan, value)
    return scanned is None or scanned == _outcome(checked, value)


_VIAS = st.builds(
    lambda proto, transport, sep, host, port, params, noise: (
        f"{proto}{transport}{sep}{host}{port}{params}{noise}"
    ),
    st.sampled_from(["SIP/2.0/", "SIP/2.0/", "sip/2.0/", "SIP/2.1/", "SIP/2.0 /"]),
    st.sampled_from(["UDP", "tcp", "Tls", "", "U1", "WS"]),
    st.sampled_from([" ", " ", "  ", "\t"]),
    _HOSTS,
    _PORTS,
    _PARAMS,
    st.one_of(st.just(""), _NOISE),
)


@given(_VIAS)
def test_via_scanner_matches_checked(value: str) -> None:
    assert _scanned_agrees(_scan_via, _parse_via_checked, value)


@given(_VIAS)
def test_check_via_matches_checked(value: str) -> None:
    parsed = _outcome(_parse_via_checked, value)
    expected = parsed if parsed is not None and parsed[0] == "error" else None
    assert _outcome(check_via, value) == expected


def test_usual_vias_take_the_scanner() -> None:
    for value in (
        "SIP/2.0/UDP 127.0.0.1:15070;branch=z9hG4bK-1-1",
        "SIP/2.0/TCP host-a.example.com;branch=z9hG4bK77;rport",
        "SIP/2.0/udp 192.0.2.1:5060;rport=5060;received=192.0.2.9;branch=z9hG4bKx",
        "SIP/2.0/WSS a.b",
    ):
        assert _outcome(_scan_via, value) is not None, value
        assert _outcome(_scan_via, value) == _outcome(_parse_via_checked, value)
    for value in ("SIP/2.0/UDP x-.example.com;branch=z9hG4bK1", "SIP/2.0/UDP a:70000"):
        assert _outcome(_scan_via, value) == _outcome(_parse_via_checked, value)
        assert _outcome(_scan_via, value)[0] == "error"  # type: ignore[index]


_DISPLAYS = st.one_of(
    st.sampled_from(["", "", "sipp ", "Alice Ex ", "Alice", " a ", "a  b ", " ", "é "]),
    st.builds(
        lambda t, sp: f'"{t}"{sp}',
        st.text(alphabet=_CHARS, max_size=6),
        st.sampled_from(["", " ", "  "]),
    ),
)
_URIS = st.sampled_from(
    ["sip:a@b", "sip:sipp@127.0.0.1:15070", "sip:x;lr", "sip:a@b?x=y", "", "sip:a b", "sip:é", "*"]
)
_ADDRESSES = st.one_of(
    st.builds(
        lambda d, u, p, n: f"{d}<{u}>{p}{n}",
        _DISPLAYS,
        _URIS,
        _PARAMS,
        st.one_of(st.just(""), _NOISE),
    ),
    st.builds(lambda u, p, n: f"{u}{p}{n}", _URIS, _PARAMS, st.one_of(st.just(""), _NOISE)),
)


@given(_ADDRESSES)
def test_name_addr_scanner_matches_checked(value: str) -> None:
    assert _scanned_agrees(_scan_name_addr, lambda v: _parse_name_addr_checked(v, "From"), value)


def test_usual_addresses_take_the_scanner() -> None:
    for value in (
        "sipp <sip:sipp@127.0.0.1:15070>;tag=1SIPpTag001",
        "<sip:user0001@127.0.0.1>",
        '"Alice Example" <sip:alice@atlanta.example.com>;tag=1928301774',
        '""<sip:a@b>',
        "sip:sipp@127.0.0.1:15070",
        "<sip:127.0.0.1:15090;transport=UDP>;expires=60",
    ):
        scanned = _outcome(_scan_name_addr, value)
        assert scanned is not None, value
        assert scanned == _outcome(lambda v: _parse_name_addr_checked(v, "From"), value)


@given(st.one_of(_PARAMS, st.text(alphabet=_CHARS, max_size=8)))
def test_plain_params_scanner_matches_split(text: str) -> None:
    import re

    scanned = scan_plain_params(text, 0)
    plain = re.fullmatch(PLAIN_PARAMS, text) is not None
    if scanned is not None:
        assert plain
        assert scanned == (split_plain_params(text) if text else ())
        assert all(is_token(name) and (v is None or is_token(v)) for name, v in scanned)
    elif plain:  # only values in the host shape (IPv6) are left to the regex
        assert any(v is not None and not is_token(v) for _, v in split_plain_params(text))


_START_PIECES = st.sampled_from(
    ["INVITE", "ACK", "FOO", "invite", "SIP/2.0", "sip/2.0", "SIP/3.0", "SIP/2.0x", " ", "  ",
     "sip:a@b", "200", "180", "099", "1x0", "OK", "Ringing", "é", "\xff", "ſip/2.0", "\t", ""]
)  # fmt: skip


@given(st.lists(_START_PIECES, max_size=5).map("".join))
def test_start_line_text_path_matches_checked(start: str) -> None:
    """parser._build reads the usual start line as text; the bytes path is the reference."""
    from sipwarden.sip.parser import Head, _build, _request, _response

    raw = start.encode("utf-8", "surrogateescape")

    def build(checked: bool) -> object:
        head = Head(raw, [], [], None)
        try:
            if not checked:
                message = _build(head, b"", None)
            elif raw[:4].upper() == b"SIP/":
                message = _response(head, b"", None)
            else:
                message = _request(head, b"", None)
        except ParseError as exc:
            return ("error", str(exc))
        return (type(message).__name__, repr(message), message.serialize())

    assert build(False) == build(True)


_LINE_STARTS = st.sampled_from(
    [*sorted(TEXT_LINE_KEYS), "Via", "via :", "X-Odd:", ":", "", " ", "é:", "v", "VIA:", "Via::"]
)


@given(st.lists(_LINE_STARTS, min_size=1, max_size=3).map("".join))
def test_line_key_is_the_table_lookup(text: str) -> None:
    assert line_key(text) == TEXT_LINE_KEYS.get(text[: text.find(":") + 1])


def test_every_spelling_is_found() -> None:
    for spelling, key in TEXT_LINE_KEYS.items():
        assert line_key(spelling + " value") == key


@given(st.text(alphabet="0123456789٣²a ", max_size=4))
def test_ascii_digits(text: str) -> None:
    assert is_ascii_digits(text) == (text.isdigit() and text.isascii())


@given(
    st.lists(
        st.sampled_from(["0", "1", "9", "25", "255", "256", "00", "01", ".", "a", ":", "٣"]),
        max_size=9,
    ).map("".join)
)
def test_is_ipv4_is_the_regex(text: str) -> None:
    import ipaddress

    from sipwarden.sip.hosts import _IPV4, is_ipv4

    assert is_ipv4(text) == (_IPV4.fullmatch(text) is not None)
    if is_ipv4(text):
        assert str(ipaddress.IPv4Address(text)) == text


def test_every_character_in_each_place_of_a_via_and_an_address() -> None:
    """Each code point up to U+017F (ASCII, Latin-1 and beyond) in the transport, host, port,
    parameter and URI positions: the scanners' character classes against the regex paths."""
    for code in range(0x180):
        ch = chr(code)
        for value in (
            f"SIP/2.0/U{ch}P a;branch=1",
            f"SIP/2.0/UDP a{ch}b;branch=1",
            f"SIP/2.0/UDP {ch}b:5060",
            f"SIP/2.0/UDP a:50{ch}0;x",
            f"SIP/2.0/UDP a;br{ch}nch=z9{ch}",
        ):
            assert _scanned_agrees(_scan_via, _parse_via_checked, value), value
        for value in (
            f"A{ch}b <sip:a@b>;tag=1",
            f'"A{ch}" <sip:a@b>',
            f"<sip:a{ch}b>;t{ch}g=1",
            f"sip:a{ch}b;tag={ch}",
        ):
            checked = lambda v: _parse_name_addr_checked(v, "From")  # noqa: E731
            assert _scanned_agrees(_scan_name_addr, checked, value), value
