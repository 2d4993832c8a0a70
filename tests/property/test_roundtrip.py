"""Valid messages survive parse, edit and serialize (RFC 3261 §7, §16.6, §18.3).

The strategies in sipgen.py draw valid requests and responses with every shape the grammar allows
(compact and odd-case names, folding, IPv6, quoted display names, lists over several lines,
binary bodies, messages without Content-Length). The properties:

- an unedited message serializes to exactly the bytes it came from, and validates;
- the typed accessors give back what the generator put in;
- after any sequence of proxy edits the serialized message parses to an equal message whose
  accessors agree with the edited one (no stale cache), with a right Content-Length;
- the stream framer cuts a concatenation of messages, however it is chunked, into those messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sipwarden.errors import ParseError
from sipwarden.sip import (
    KeepAlive,
    Message,
    Request,
    Response,
    SipUri,
    StreamFramer,
    parse_datagram,
    parse_via,
)

from .sipgen import (
    AddrSpec,
    Generated,
    UriSpec,
    ViaSpec,
    addresses,
    budget,
    free_text,
    messages,
    same_message,
    tokens,
    uris,
    vias,
)

# ----- helpers -----------------------------------------------------------------------------------


def check_uri(uri: object, spec: UriSpec) -> None:
    assert str(uri) == spec.text
    if spec.scheme in ("sip", "sips"):
        assert isinstance(uri, SipUri)
        assert (uri.scheme, uri.user, uri.host, uri.port) == (
            spec.scheme,
            spec.user,
            spec.host,
            spec.port,
        )


def check_address(address: Any, spec: AddrSpec) -> None:
    assert address.uri_text == spec.uri.text
    assert address.display_name == spec.display
    assert address.tag == spec.tag
    check_uri(address.uri, spec.uri)


def check_via(via: Any, spec: ViaSpec) -> None:
    assert (via.transport, via.host, via.port, via.branch) == (
        spec.transport,
        spec.host,
        spec.port,
        spec.branch,
    )
    assert (via.received, via.rport, via.wants_rport) == (
        spec.received,
        spec.rport,
        spec.wants_rport,
    )


def reparse(message: Message, original: bytes) -> Message:
    """Parse what `message` serializes to, and check its Content-Length on the way: right, or
    absent only because nothing was edited (the datagram then ends where the body does)."""
    wire = message.serialize()
    again = parse_datagram(wire)
    lengths = [int(x) for x in again.header_lines("content-length")]
    assert lengths == [len(message.body)] or (not lengths and wire == original)
    assert again.body == message.body
    return again


def outcome(get: Callable[[], object]) -> object:
    try:
        return get()
    except ParseError as error:
        return ("ParseError", error.status, error.reason)


def snapshot(m: Message) -> dict[str, object]:
    """Every typed view of a message, comparable between an edited message and its reparse."""
    views: dict[str, Callable[[], object]] = {
        "vias": lambda: [str(v) for v in m.vias],
        "top_via": lambda: str(m.top_via),
        "from": lambda: m.from_,
        "to": lambda: m.to,
        "call_id": lambda: m.call_id,
        "cseq": lambda: m.cseq,
        "max_forwards": lambda: m.max_forwards,
        "contacts": lambda: m.contacts,
        "routes": lambda: m.routes,
        "record_routes": lambda: m.record_routes,
        "expires": lambda: m.expires,
        "content_type": lambda: m.content_type,
        "supported": lambda: m.supported,
        "subject": lambda: m.header_lines("subject"),
        "items": lambda: list(m.items()),
        "body": lambda: (m.body, m.content_length),
    }
    if isinstance(m, Request):
        views["ruri"] = lambda: (m.method, m.uri_text, str(m.uri))
    elif isinstance(m, Response):
        views["status"] = lambda: (m.status, m.reason)
    return {name: outcome(get) for name, get in views.items()}


# ----- properties --------------------------------------------------------------------------------


@settings(max_examples=budget(200), deadline=None)
@given(messages())
def test_unedited_message_serializes_to_its_bytes(g: Generated) -> None:
    message = parse_datagram(g.data)
    message.validate()
    assert message.serialize() == g.data
    assert bytes(message) == g.data
    assert parse_datagram(message.serialize()) == message


@settings(max_examples=budget(200), deadline=None)
@given(messages())
def test_accessors_return_what_was_generated(g: Generated) -> None:
    m = parse_datagram(g.data)
    assert m.top_via.branch == g.vias[0].branch  # before `vias`: the one-value path
    assert len(m.vias) == len(g.vias)
    for via, via_spec in zip(m.vias, g.vias):
        check_via(via, via_spec)
    check_address(m.from_, g.from_)
    check_address(m.to, g.to)
    assert m.call_id == g.call_id
    assert (m.cseq.seq, m.cseq.method) == (g.cseq, g.method)
    assert m.max_forwards == g.max_forwards
    if g.contact_star:
        assert len(m.contacts) == 1 and m.contacts[0].is_star
    else:
        expected = g.contacts or []
        assert len(m.contacts) == len(expected)
        for contact, spec in zip(m.contacts, expected):
            check_address(contact, spec)
            assert (contact.q, contact.expires) == (spec.q, spec.expires)
    for got, want in ((m.routes, g.routes), (m.record_routes, g.record_routes)):
        assert len(got) == len(want)
        for address, spec in zip(got, want):
            check_address(address, spec)
    assert m.expires == g.expires
    assert m.supported == (g.supported or [])
    if g.content_type is None:
        assert m.content_type is None
    else:
        assert m.content_type is not None
        assert m.content_type.mime == g.content_type.split(";")[0].lower()
    assert m.body == g.body and m.content_length == len(g.body)
    for name, value in g.extensions:
        assert m.header(name) == next(v for n, v in g.extensions if n.lower() == name.lower())
        assert value in m.header_lines(name)
    if isinstance(m, Request):
        assert g.ruri is not None
        assert m.method == g.method and m.uri_text == g.ruri.text
        check_uri(m.uri, g.ruri)
    else:
        assert isinstance(m, Response)
        assert (m.status, m.reason) == (g.status, g.reason)


_bodies = st.binary(max_size=120) | st.just(b"")
_content_types = st.none() | st.sampled_from(["application/sdp", "text/plain", "message/sipfrag"])
_removable = st.sampled_from(
    ["Route", "Record-Route", "Subject", "Contact", "m", "Supported", "Expires", "Content-Type"]
)
edits = st.lists(
    st.one_of(
        st.tuples(st.just("push_via"), vias()),
        st.tuples(st.just("pop_via")),
        st.tuples(st.just("record_route"), addresses(tag=False)),
        st.tuples(st.just("decrement")),
        st.tuples(st.just("set_uri"), uris),
        st.tuples(st.just("set_body"), _bodies, _content_types),
        st.tuples(st.just("add_header"), tokens.map(lambda t: "X-" + t), free_text),
        st.tuples(st.just("remove_header"), _removable),
        st.tuples(st.just("set_header"), st.sampled_from(["Subject", "s", "X-Edit"]), free_text),
        st.tuples(st.just("set_expires"), st.integers(0, 2**32 - 1)),
        st.tuples(st.just("pop_route")),
    ),
    max_size=8,
)


def apply_edit(m: Message, edit: tuple[Any, ...]) -> None:
    """Apply one edit and check its own effect; the caller checks the message as a whole."""
    op = edit[0]
    if op == "push_via":
        m.push_via(edit[1].text)
        assert m.top_via == parse_via(edit[1].text)
        check_via(m.vias[0], edit[1])
    elif op == "pop_via" and len(m.vias) > 1:  # keep one: the message must stay valid
        top, count = m.vias[0], len(m.vias)
        assert m.pop_via() == top
        assert len(m.vias) == count - 1
    elif op == "record_route":
        m.insert_header("Record-Route", edit[1].text)
        check_address(m.record_routes[0], edit[1])
    elif op == "decrement":
        before = m.max_forwards
        hops = m.decrement_max_forwards()
        assert hops == (70 if before is None else max(before - 1, 0)) == m.max_forwards
    elif op == "set_uri" and isinstance(m, Request):
        m.set_uri(edit[1].text)
        assert m.uri_text == edit[1].text
        check_uri(m.uri, edit[1])
    elif op == "set_body":
        m.set_body(edit[1], edit[2])
        assert m.body == edit[1] and m.content_length == len(edit[1])
        if edit[2] is not None:
            assert m.content_type is not None and m.content_type.mime == edit[2]
    elif op == "add_header":
        m.add_header(edit[1], edit[2])
        assert m.header_lines(edit[1])[-1] == edit[2]
    elif op == "remove_header":
        m.remove_header(edit[1])
        assert not m.has(edit[1])
    elif op == "set_header":
        m.set_header(edit[1], edit[2])
        assert m.header_lines(edit[1]) == [edit[2]]
    elif op == "set_expires":
        m.set_header("Expires", str(edit[1]))
        assert m.expires == edit[1]
    elif op == "pop_route":
        before = m.routes
        popped = m.pop_value("Route")
        assert (popped is None) == (not before)
        assert m.routes == before[1:]


@settings(max_examples=budget(300), deadline=None)
@given(messages(), edits)
def test_edited_message_reparses_equal(g: Generated, ops: list[tuple[Any, ...]]) -> None:
    m = parse_datagram(g.data)
    m.validate()
    snapshot(m)  # fill the caches, so a stale one would show after an edit
    for edit in ops:
        apply_edit(m, edit)
        again = reparse(m, g.data)
        same_message(m, again)
        assert snapshot(m) == snapshot(again), edit[0]
    m.validate()
    again = reparse(m, g.data)
    again.validate()
    assert again.serialize() == m.serialize()


@settings(max_examples=budget(100), deadline=None)
@given(messages(content_length=True), st.binary(min_size=1, max_size=40))
def test_octets_past_content_length_are_dropped(g: Generated, junk: bytes) -> None:
    m = parse_datagram(g.data + junk)
    assert m.body == g.body
    assert m.serialize() == g.data


_keepalive = st.sampled_from([None, None, b"\r\n\r\n", b"\r\n"])


@settings(max_examples=budget(120), deadline=None)
@given(
    st.lists(st.tuples(_keepalive, messages(content_length=True)), min_size=1, max_size=3),
    st.booleans(),
    st.lists(st.integers(1, 300), min_size=1, max_size=12),
)
def test_stream_framer_cuts_messages_back_out(
    items: list[tuple[bytes | None, Generated]], final_ping: bool, chunks: list[int]
) -> None:
    stream = b""
    expected: list[object] = []
    for keepalive, g in items:
        if keepalive is not None:
            stream += keepalive
            expected.append(KeepAlive(ping=keepalive == b"\r\n\r\n"))
        stream += g.data
        expected.append(g.data)
    if final_ping:  # a trailing pong (one CRLF) can never be told from the start of a ping
        stream += b"\r\n\r\n"
        expected.append(KeepAlive(ping=True))

    framer = StreamFramer()
    events: list[object] = []
    position = 0
    turn = 0
    while position < len(stream):
        size = chunks[turn % len(chunks)]
        framer.feed(stream[position : position + size])
        position += size
        turn += 1
        while (event := framer.next_event()) is not None:
            events.append(event)

    assert framer.buffered == 0
    got = [e.serialize() if isinstance(e, Message) else e for e in events]
    assert got == expected
    for event, (_, g) in zip((e for e in events if isinstance(e, Message)), items):
        assert event == parse_datagram(g.data)
        event.validate()
