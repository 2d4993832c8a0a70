"""What the message layer is put through for one untrusted input: shared by the hostile-input
property tests (tests/property/test_hostile.py) and the atheris fuzz target (fuzz/fuzz_parser.py).

`exercise(data)` runs parse_datagram, validate, every typed accessor (and the URIs, q and expires
inside them), the stream framer, stateless_error, and for a message that validates the relay
path (push Via, decrement Max-Forwards, Record-Route, serialize, reparse, build_response). Any
exception other than ParseError escapes; a ParseError must carry an error status and a printable
reason; stateless_error must return None or bytes that parse as a response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sipwarden.errors import ParseError
from sipwarden.sip import (
    KeepAlive,
    Message,
    Request,
    Response,
    StreamFramer,
    build_response,
    parse_datagram,
    stateless_error,
)

from .sipgen import same_message

ACCESSORS = (
    "vias", "top_via", "from_", "to", "call_id", "cseq", "max_forwards", "contacts", "routes",
    "record_routes", "paths", "expires", "min_expires", "content_type", "retry_after",
    "supported", "require", "proxy_require", "unsupported", "allow", "www_authenticate",
    "proxy_authenticate", "authorization", "proxy_authorization",
)  # fmt: skip
ADDRESS_PARTS = ("uri", "q", "expires", "tag", "display_name", "is_star", "params")
VIA_PARTS = ("branch", "received", "rport", "wants_rport", "maddr", "sent_by", "host", "port")


def attempt(get: Callable[[], Any]) -> Any:
    """Run `get`; a ParseError is fine (and returned) if it is well formed, nothing else is."""
    try:
        return get()
    except ParseError as error:
        assert 400 <= error.status <= 599, error
        assert error.reason and error.reason.isprintable(), error
        return error


def touch_everything(m: Message) -> None:
    """Every accessor, and every part of what the list accessors return."""
    for name in ACCESSORS:
        value = attempt(lambda name=name: getattr(m, name))
        items = value if isinstance(value, list) else [value]
        for item in items:
            parts = VIA_PARTS if name in ("vias", "top_via") else ADDRESS_PARTS
            if item is None or isinstance(item, ParseError | str | int):
                continue
            for part in parts:
                if hasattr(type(item), part):
                    attempt(lambda item=item, part=part: getattr(item, part))
            str(item)
    if isinstance(m, Request):
        attempt(lambda: m.uri)
    for name, _ in attempt(lambda: list(m.items())):
        attempt(lambda name=name: m.values(name))
        attempt(lambda name=name: m.tokens(name))


def check_reply(data: bytes, error: ParseError) -> None:
    """stateless_error never raises; what it returns is None or a parseable response."""
    reply = stateless_error(data, error)
    if reply is None:
        return
    assert isinstance(reply, bytes)
    try:
        response = parse_datagram(reply)
    except ParseError as failure:
        raise AssertionError(
            f"stateless_error gave a reply that does not parse ({failure}): {reply!r:.300}"
        ) from failure
    assert isinstance(response, Response) and response.status == error.status


def relay(data: bytes, m: Message) -> None:
    """What a proxy does with a valid message must give a message the next hop can read."""
    if isinstance(m, Request):
        m.push_via("SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKproxy1")
        m.decrement_max_forwards()
        m.insert_header("Record-Route", "<sip:192.0.2.9;lr>")
    elif len(m.vias) > 1:
        m.pop_via()
    again = reparse(m)
    if again is not None:
        again.validate()
    original = parse_datagram(data)
    if isinstance(original, Request):
        original.validate()
        for status in (100, 200, 404):
            reply = build_response(original, status).serialize()
            response = parse_datagram(reply)
            assert isinstance(response, Response) and response.status == status


def reparse(m: Message) -> Message | None:
    """Parse what `m` serializes to (None if that is over the size limit); it must equal `m`."""
    wire = m.serialize()
    if len(wire) > 65535:
        return None
    again = parse_datagram(wire)
    same_message(m, again)
    return again


def exercise(data: bytes) -> None:
    """Everything the message layer offers for untrusted bytes, on `data`."""
    result = attempt(lambda: parse_datagram(data))
    if isinstance(result, ParseError):
        check_reply(data, result)
    else:
        touch_everything(result)
        reparse(result)  # whatever parsed must parse again, to the same message
        valid = attempt(result.validate)
        if isinstance(valid, ParseError):
            check_reply(data, valid)
        else:
            relay(data, result)
    framer = StreamFramer()
    framer.feed(data[: len(data) // 2])
    event = attempt(framer.next_event)
    framer.feed(data[len(data) // 2 :] + data)
    for _ in range(8):
        if event is None or isinstance(event, ParseError):
            break
        if isinstance(event, Message):
            touch_everything(event)
            attempt(event.validate)
        else:
            assert isinstance(event, KeepAlive)
        event = attempt(framer.next_event)
    if isinstance(event, ParseError):
        check_reply(data, event)
