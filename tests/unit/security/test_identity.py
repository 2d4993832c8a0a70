"""RFC 3325 identity transforms."""

from __future__ import annotations

from sipwarden.security.identity import (
    assert_identity,
    for_untrusted_destination,
    strip_untrusted_identity,
)
from sipwarden.sip import Request, parse_datagram


def invite(*extra: str) -> Request:
    lines = [
        "INVITE sip:bob@example.com SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1",
        "Max-Forwards: 70",
        "From: <sip:alice@example.com>;tag=1",
        "To: <sip:bob@example.com>",
        "Call-ID: c1",
        "CSeq: 1 INVITE",
        *extra,
        "Content-Length: 0",
    ]
    message = parse_datagram(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


def test_assert_identity_adds_pai() -> None:
    request = invite()
    assert_identity(request, "alice", "example.com")
    assert request.header_lines("P-Asserted-Identity") == ["<sip:alice@example.com>"]
    assert b"\r\nP-Asserted-Identity: <sip:alice@example.com>\r\n" in request.serialize()


def test_assert_identity_replaces_what_the_caller_sent_and_quotes_the_name() -> None:
    request = invite(
        "P-Asserted-Identity: <sip:boss@example.com>",
        "P-Asserted-Identity: <tel:+15551234>",
        "P-Preferred-Identity: <sip:alice2@example.com>",
    )
    assert_identity(request, "alice", "example.com", display='Alice "A" \\ Smith')
    assert request.header_lines("P-Asserted-Identity") == [
        '"Alice \\"A\\" \\\\ Smith" <sip:alice@example.com>'
    ]
    assert not request.has("P-Preferred-Identity")


def test_strip_untrusted_identity() -> None:
    request = invite(
        "P-Asserted-Identity: <sip:boss@example.com>",
        "P-Preferred-Identity: <sip:boss@example.com>",
    )
    assert strip_untrusted_identity(request) == 2
    assert not request.has("P-Asserted-Identity")
    assert not request.has("P-Preferred-Identity")
    assert strip_untrusted_identity(request) == 0
    assert request.call_id == "c1"


def test_privacy_id_removes_pai_toward_untrusted_destinations() -> None:
    private = invite("Privacy: id", "P-Asserted-Identity: <sip:alice@example.com>")
    assert for_untrusted_destination(private) == 1
    assert not private.has("P-Asserted-Identity")
    public = invite("P-Asserted-Identity: <sip:alice@example.com>")
    assert for_untrusted_destination(public) == 0
    assert public.has("P-Asserted-Identity")
