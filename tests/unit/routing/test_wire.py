"""view_of() reads a parsed request; apply() writes a decision back into it."""

from __future__ import annotations

from sipwarden.routing import Forward, default_table
from sipwarden.routing.wire import apply, view_of
from sipwarden.sip import Request, parse_message

from .conftest import Compile

INVITE = (
    "INVITE sip:030123@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1\r\n"
    "Max-Forwards: 70\r\n"
    'From: "Alice" <sip:alice@Example.com>;tag=1\r\n'
    "To: <sip:030123@example.com>\r\n"
    "Call-ID: abc@10.0.0.5\r\n"
    "CSeq: 1 INVITE\r\n"
    "User-Agent: Phone 1.0\r\n"
    "X-Debug: 1\r\n"
    "Content-Length: 0\r\n\r\n"
)


def request() -> Request:
    message = parse_message(INVITE.encode())
    assert isinstance(message, Request)
    return message


def test_view_of_a_request() -> None:
    view = view_of(request(), source="10.0.0.5", transport="UDP", authenticated="alice")
    assert (view.method, view.ruri, view.ruri_user, view.ruri_domain) == (
        "INVITE",
        "sip:030123@example.com",
        "030123",
        "example.com",
    )
    assert (view.from_user, view.from_domain, view.to_user, view.to_domain) == (
        "alice",
        "example.com",
        "030123",
        "example.com",
    )
    assert (view.source, view.transport, view.authenticated) == ("10.0.0.5", "udp", "alice")
    assert view.call_id == "abc@10.0.0.5"
    assert view.headers("user-agent") == ("Phone 1.0",)
    assert view.headers("X-Missing") == ()


def test_apply_sets_the_rewritten_uri_and_the_header_edits(compile_text: Compile) -> None:
    routing = compile_text(
        "[[rules]]\nmatch.ruri_user = '0(\\d+)'\nrewrite = { strip = 1, prefix = \"+49\" }\n"
        'set_header = { X-Route = "pstn-$1" }\nremove_header = "X-Debug"\nforward = true\n'
    )
    copy = request()
    decision = routing.rules.decide(view_of(copy, source="10.0.0.5", transport="udp"), 0)
    assert decision.action == Forward("sip:+4930123@example.com")
    apply(copy, decision)
    assert copy.uri_text == "sip:+4930123@example.com"
    assert copy.header("X-Route") == "pstn-30123"
    assert not copy.has("X-Debug")
    assert copy.serialize().startswith(b"INVITE sip:+4930123@example.com SIP/2.0\r\n")


def test_apply_without_changes_leaves_the_request() -> None:
    copy = request()
    view = view_of(copy, source="10.0.0.5", transport="udp")
    decision = default_table(False).decide(view, 0)
    apply(copy, decision)
    assert copy.serialize() == INVITE.encode()
