"""Redirect mode: 302 with a Contact per live binding (q, expires), 480 without (RFC 3261 §8.3)."""

from __future__ import annotations

from sipwarden.location.binding import Binding
from sipwarden.proxy.redirect import format_q, redirect_contact, redirect_response
from sipwarden.sip import Request, parse_message
from sipwarden.users.forwarding import Forwarding

AOR = "sip:alice@example.com"
NOW = 1_700_000_000.0


def invite(to_tag: str = "") -> Request:
    wire = (
        "INVITE sip:alice@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:carol@example.org>;tag=c1\r\n"
        f"To: <sip:alice@example.com>{to_tag}\r\n"
        "Call-ID: call-1\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(wire.encode())
    assert isinstance(message, Request)
    return message


def binding(contact: str, expires_in: float, q: float | None = None) -> Binding:
    return Binding(aor=AOR, contact=contact, expires_at=NOW + expires_in, q=q)


def test_302_lists_every_binding_highest_q_first() -> None:
    bindings = [
        binding("sip:alice@192.0.2.1:5062", 120.5, q=0.5),
        binding("sip:alice@192.0.2.2;transport=tcp", 3600),
        binding("sip:alice@192.0.2.3", 60, q=0.125),
    ]
    response = redirect_response(invite(), bindings, NOW)
    assert (response.status, response.reason) == (302, "Moved Temporarily")
    assert response.values("contact") == [
        "<sip:alice@192.0.2.2;transport=tcp>;expires=3600",
        "<sip:alice@192.0.2.1:5062>;q=0.5;expires=120",
        "<sip:alice@192.0.2.3>;q=0.125;expires=60",
    ]
    contacts = response.contacts
    assert [c.q for c in contacts] == [None, 0.5, 0.125]
    assert [c.expires for c in contacts] == [3600, 120, 60]


def test_302_is_a_response_to_the_request() -> None:
    response = redirect_response(invite(), [binding("sip:alice@192.0.2.1", 60)], NOW)
    assert response.call_id == "call-1"
    assert str(response.cseq) == "1 INVITE"
    assert response.top_via.branch == "z9hG4bK-1"
    assert response.to.tag  # §8.2.6.2: a final response adds a To tag
    assert response.content_length == 0
    wire = response.serialize()
    assert wire.startswith(b"SIP/2.0 302 Moved Temporarily\r\n")
    assert parse_message(wire).values("contact") == response.values("contact")


def test_existing_to_tag_is_kept() -> None:
    response = redirect_response(invite(";tag=t9"), [binding("sip:a@192.0.2.1", 60)], NOW)
    assert response.to.tag == "t9"


def test_no_bindings_is_480() -> None:
    response = redirect_response(invite(), [], NOW)
    assert (response.status, response.reason) == (480, "Temporarily Unavailable")
    assert response.values("contact") == []


def test_expired_bindings_are_left_out() -> None:
    gone = binding("sip:alice@192.0.2.1", 0)
    assert redirect_response(invite(), [gone], NOW).status == 480
    live = binding("sip:alice@192.0.2.2", 0.5)
    response = redirect_response(invite(), [gone, live], NOW)
    assert response.values("contact") == ["<sip:alice@192.0.2.2>;expires=0"]


def test_always_forwarding_is_the_only_contact() -> None:
    forwarding = Forwarding(always="tel:+15550100", busy="sip:vm@example.com")
    response = redirect_response(invite(), [binding("sip:a@192.0.2.1", 60)], NOW, forwarding)
    assert response.status == 302
    assert response.values("contact") == ["<tel:+15550100>"]


def test_unregistered_forwarding_only_when_nothing_is_registered() -> None:
    forwarding = Forwarding(unregistered="sip:vm@example.com")
    response = redirect_response(invite(), [], NOW, forwarding)
    assert (response.status, response.values("contact")) == (302, ["<sip:vm@example.com>"])
    registered = redirect_response(invite(), [binding("sip:a@192.0.2.1", 60)], NOW, forwarding)
    assert registered.values("contact") == ["<sip:a@192.0.2.1>;expires=60"]


def test_busy_and_no_answer_do_not_apply() -> None:
    forwarding = Forwarding(busy="sip:vm@example.com", no_answer="sip:vm@example.com")
    assert redirect_response(invite(), [], NOW, forwarding).status == 480


def test_contact_and_q_formatting() -> None:
    assert redirect_contact(binding("sip:a@192.0.2.1", 10.9, q=1.0), NOW) == (
        "<sip:a@192.0.2.1>;q=1;expires=10"
    )
    assert [format_q(q) for q in (0.0, 0.5, 0.125, 1.0)] == ["0", "0.5", "0.125", "1"]
