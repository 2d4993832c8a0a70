"""The message layer's fast paths agree with the exact paths they skip.

Each fast path is a one-match shortcut for the common shape of a value; on a miss it falls back
to the checked code. These properties feed both near-miss and ordinary values to the fast entry
point and to the checked one and require the same result or the same ParseError.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sipwarden.errors import ParseError
from sipwarden.sip.address import _parse_name_addr_checked, parse_name_addr
from sipwarden.sip.message import CACHE_SLOTS, Request
from sipwarden.sip.parser import _parse_careful_head, parse_head
from sipwarden.sip.via import _parse_via_checked, check_via, parse_via

_PIECES = [
    "SIP/2.0/",
    "UDP",
    "tcp",
    "Tls",
    " ",
    "  ",
    "\t",
    "192.0.2.1",
    "host-a.example.com",
    "-bad",
    "a..b",
    "[2001:db8::1]",
    ":",
    "5060",
    "99999",
    "065535",
    ";branch=z9hG4bK77",
    ";rport",
    ";received=[::1]",
    ";",
    "=",
    '"',
    "<",
    ">",
    "sip:a@b",
    ";tag=x",
    '"Al\\"ice"',
    "Alice Ex",
    ",",
    "é",
    "\r\n",
    "\\",
    '"A\\\\" ',
]
_text = st.lists(st.sampled_from(_PIECES), max_size=10).map("".join)


def _outcome(parse: object, value: str) -> object:
    assert callable(parse)
    try:
        result = parse(value)
    except ParseError as exc:
        return ("error", str(exc))
    if isinstance(result, tuple):
        return result
    slots = getattr(result, "__slots__", ())
    return (str(result), [getattr(result, name) for name in slots if not name.startswith("_")])


@given(_text)
def test_via_fast_path_matches_checked(value: str) -> None:
    assert _outcome(parse_via, value) == _outcome(_parse_via_checked, value)


@given(_text)
def test_check_via_raises_exactly_when_parse_via_does(value: str) -> None:
    """check_via (a response's lower Vias: checked, not built) raises what parse_via raises."""
    parsed = _outcome(parse_via, value)
    expected = parsed if parsed[0] == "error" else ("None", [])
    assert _outcome(check_via, value) == expected


@given(_text)
def test_name_addr_fast_path_matches_checked(value: str) -> None:
    assert _outcome(lambda v: parse_name_addr(v, what="From"), value) == _outcome(
        lambda v: _parse_name_addr_checked(v, "From"), value
    )


def test_common_values_match_checked() -> None:
    for value in (
        "SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKnashds8;rport",
        "SIP/2.0/UDP host-a.example.com;branch=z9hG4bK1;received=192.0.2.1",
        "SIP/2.0/TCP -x.example.com:5060;branch=z9hG4bK1",
        "SIP/2.0/UDP a:70000",
    ):
        assert _outcome(parse_via, value) == _outcome(_parse_via_checked, value)
    for value in (
        '"Alice Example" <sip:alice@atlanta.example.com>;tag=1928301774',
        "<sip:proxy.example.com;lr>",
        "Bob <sip:bob@b>;tag=a;x",
        '"a\\"b" <sip:x>',
    ):
        assert _outcome(parse_name_addr, value) == _outcome(
            lambda v: _parse_name_addr_checked(v, "address"), value
        )


_LINES = [
    b"Via: SIP/2.0/UDP h",
    b"v: x",
    b"To: <sip:a@b>",
    b"Content-Length: 0",
    b"l: 0",
    b"X-Odd: 1",
    b"Via",
    b" folded",
    b"\tfolded",
    b"Bad Name: 1",
    b"Via : x",
    b"From: a\nVia: b",
    b"Call-ID: a\rb",
    b"",
]


@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=8))
def test_parse_head_matches_careful(lines: list[bytes]) -> None:
    head = b"\r\n".join([b"INVITE sip:a@b SIP/2.0", *lines])

    def fast() -> object:
        h = parse_head(head)
        return (h.start, h.keys, h.lines, h.content_length)

    def careful() -> object:
        h = _parse_careful_head(head.split(b"\r\n"))
        return (h.start, h.keys, h.lines, h.content_length)

    assert _outcome(lambda _: fast(), "") == _outcome(lambda _: careful(), "")


def test_every_cached_view_is_reread_after_an_edit_of_its_header() -> None:
    """Each cached accessor, read once, gives the new value after its header is edited: the
    cache slot it fills is one `_touch` forgets (CACHE_SLOTS)."""
    from sipwarden.sip import parse_datagram

    before = (
        b"REGISTER sip:a.example SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
        b"From: <sip:a@a.example>;tag=1\r\nTo: <sip:a@a.example>\r\nCall-ID: c1\r\n"
        b"CSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nContact: <sip:a@h1>\r\n"
        b"Route: <sip:r1;lr>\r\nRecord-Route: <sip:rr1;lr>\r\nPath: <sip:p1;lr>\r\n"
        b"Expires: 60\r\nMin-Expires: 30\r\nContent-Type: text/plain\r\n"
        b'WWW-Authenticate: Digest realm="r1", nonce="n"\r\n'
        b'Proxy-Authenticate: Digest realm="r1", nonce="n"\r\n'
        b'Authorization: Digest username="u1", realm="r", nonce="n", uri="sip:a", response="x"\r\n'
        b'Proxy-Authorization: Digest username="u1", realm="r", nonce="n", uri="sip:a", '
        b'response="x"\r\nContent-Length: 0\r\n\r\n'
    )
    edits: dict[str, tuple[str, object]] = {
        "via": ("SIP/2.0/UDP h2;branch=z9hG4bK2", lambda m: (m.top_via.host, m.vias[0].host)),
        "from": ("<sip:b@a.example>;tag=1", lambda m: m.from_.uri.user),
        "to": ("<sip:b@a.example>", lambda m: m.to.uri.user),
        "call-id": ("c2", lambda m: m.call_id),
        "cseq": ("2 REGISTER", lambda m: m.cseq.seq),
        "max-forwards": ("69", lambda m: m.max_forwards),
        "contact": ("<sip:b@h2>", lambda m: m.contacts[0].uri.user),
        "route": ("<sip:r2;lr>", lambda m: m.routes[0].uri.host),
        "record-route": ("<sip:rr2;lr>", lambda m: m.record_routes[0].uri.host),
        "path": ("<sip:p2;lr>", lambda m: m.paths[0].uri.host),
        "expires": ("61", lambda m: m.expires),
        "min-expires": ("31", lambda m: m.min_expires),
        "content-type": ("text/html", lambda m: m.content_type.subtype),
        "www-authenticate": ('Digest realm="r2", nonce="n"', lambda m: m.www_authenticate[0].realm),
        "proxy-authenticate": (
            'Digest realm="r2", nonce="n"',
            lambda m: m.proxy_authenticate[0].realm,
        ),
        "authorization": (
            'Digest username="u2", realm="r", nonce="n", uri="sip:a", response="x"',
            lambda m: m.authorization[0].username,
        ),
        "proxy-authorization": (
            'Digest username="u2", realm="r", nonce="n", uri="sip:a", response="x"',
            lambda m: m.proxy_authorization[0].username,
        ),
    }
    assert set(edits) | {"ruri"} == set(CACHE_SLOTS)
    for key, (value, read) in edits.items():
        message = parse_datagram(before)
        assert callable(read)
        first = read(message)
        message.set_header(key, value)
        assert read(message) != first, key
        assert read(parse_datagram(message.serialize())) == read(message), key
    request = parse_datagram(before)
    assert isinstance(request, Request)
    assert request.uri.host == "a.example"
    request.set_uri("sip:b.example")
    assert request.uri.host == "b.example"


@given(st.lists(_text, min_size=1, max_size=2))
def test_routes_fast_path_matches_values(values: list[str]) -> None:
    from sipwarden.sip import parse_datagram

    routes = b"".join(b"Route: " + v.encode() + b"\r\n" for v in values if "\r" not in v)
    data = b"OPTIONS sip:a@b SIP/2.0\r\n" + routes + b"Content-Length: 0\r\n\r\n"
    try:
        message = parse_datagram(data)
    except ParseError:
        return

    def reference(_: str) -> object:
        return [parse_name_addr(v, what="Route") for v in message.values("route")]

    assert _outcome(lambda _: message.routes, "") == _outcome(reference, "")
