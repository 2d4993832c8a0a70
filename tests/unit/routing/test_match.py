"""Each match kind, on its own, in a one-rule table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sipwarden.routing import Forward, Reply, build_view
from sipwarden.routing.request import RequestView

from .conftest import Compile

NOON_SATURDAY = datetime(2026, 11, 21, 12, 0, tzinfo=UTC).timestamp()


def decide(compile_text: Compile, match: str, view: RequestView, now: float = 0.0) -> bool:
    """Whether the rule with `match` answers `view` (else no rule matched)."""
    routing = compile_text(f"[[rules]]\nmatch = {{ {match} }}\nreply = 486\n")
    action = routing.rules.decide(view, now).action
    assert action in (Reply(486, "Busy Here"), Reply(404, "Not Found"))
    return action == Reply(486, "Busy Here")


def view(**fields: object) -> RequestView:
    ruri = str(fields.pop("ruri", "sip:+4930123@example.com"))
    return build_view(
        str(fields.pop("method", "INVITE")),
        ruri,
        "sip:alice@example.com",
        "sip:bob@example.org",
        **fields,
    )


@pytest.mark.parametrize(
    ("match", "fields", "expected"),
    [
        ('method = "INVITE"', {}, True),
        ('method = ["message", "OPTIONS"]', {}, False),
        ('method = ["message", "OPTIONS"]', {"method": "MESSAGE"}, True),
        ("ruri = 'sip:\\+49.*'", {}, True),
        ("ruri = '\\+49.*'", {}, False),  # the whole R-URI must match
        ("ruri_user = '\\+49\\d+'", {}, True),
        ("ruri_user = '\\+49'", {}, False),
        ("ruri_user = '\\d+'", {"ruri": "sip:example.com"}, False),  # no user part
        ("ruri_domain = 'EXAMPLE\\.com'", {}, True),
        ("from_user = 'al.*'", {}, True),
        ("from_user = 'bob'", {}, False),
        ("from_domain = 'Example.COM'", {}, True),
        ("to_user = 'bob'", {}, True),
        ("to_domain = 'example\\.org'", {}, True),
        ("to_domain = 'example\\.com'", {}, False),
        ('source = ["10.0.0.0/8", "192.0.2.0/24"]', {"source": "192.0.2.9"}, True),
        ('source = "10.0.0.0/8"', {"source": "192.0.2.9"}, False),
        ('source = "2001:db8::/32"', {"source": "2001:db8::5"}, True),
        ('source = "2001:db8::/32"', {"source": "10.0.0.1"}, False),
        ('transport = ["tls", "wss"]', {"transport": "tls"}, True),
        ('transport = "udp"', {"transport": "tcp"}, False),
        ("authenticated = true", {"authenticated": "alice"}, True),
        ("authenticated = true", {}, False),
        ("authenticated = false", {}, True),
        ("authenticated = false", {"authenticated": "alice"}, False),
        ('authenticated = "alice"', {"authenticated": "alice"}, True),
        ('authenticated = "alice"', {"authenticated": "bob"}, False),
        ("from_local = true", {"from_local": True}, True),
        ("from_local = true", {}, False),
        ("ruri_local = false", {}, True),
        ("ruri_local = false", {"ruri_local": True}, False),
    ],
)
def test_each_match_kind(
    compile_text: Compile, match: str, fields: dict[str, object], expected: bool
) -> None:
    assert decide(compile_text, match, view(**fields)) is expected


def test_header_matches_any_value_of_the_header(compile_text: Compile) -> None:
    headers = {"user-agent": ("Polycom VVX 450", "x")}
    found = view(headers=lambda name: headers.get(name.lower(), ()))
    assert decide(compile_text, "header = { User-Agent = 'Polycom.*' }", found)
    assert not decide(compile_text, "header = { User-Agent = 'Yealink.*' }", found)
    assert not decide(compile_text, "header = { X-Missing = '.*' }", found)
    assert decide(
        compile_text,
        "header = { User-Agent = 'Polycom.*', Via = '.*' }",
        view(
            headers=lambda name: {"user-agent": ("Polycom",), "via": ("x",)}.get(name.lower(), ())
        ),
    )
    assert not decide(compile_text, "header = { User-Agent = 'Polycom.*', Via = '.*' }", found)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ('time = "08:00-18:00"', True),
        ('time = "13:00-18:00"', False),
        ('time = "08:00-18:00", timezone = "Europe/Berlin"', True),  # 13:00 in Berlin
        ('time = "08:00-12:30", timezone = "Europe/Berlin"', False),
        ('time = "22:00-13:30", timezone = "Europe/Berlin"', True),  # across midnight
        ('days = ["mon-fri"]', False),  # 2026-11-21 is a Saturday
        ('days = ["sat", "sun"]', True),
        ('days = ["fri-mon"]', True),  # wraps around the week
        ('time = "08:00-18:00", days = ["mon-fri"]', False),
    ],
)
def test_time_of_day(compile_text: Compile, match: str, expected: bool) -> None:
    assert decide(compile_text, match, view(), NOON_SATURDAY) is expected


def test_trusted_peer_match(compile_text: Compile) -> None:
    text = (
        '[[trusted]]\nname = "carrier"\nsource = "192.0.2.0/24"\n'
        '[[rules]]\nmatch = { trusted = "carrier" }\nreply = 486\n'
    )
    routing = compile_text(text)
    peer = routing.trust.match("192.0.2.1", ())
    assert routing.rules.decide(view(trusted=peer), 0).action == Reply(486, "Busy Here")
    assert routing.rules.decide(view(), 0).action == Reply(404, "Not Found")


def test_all_conditions_must_hold(compile_text: Compile) -> None:
    match = 'method = "INVITE", from_user = "alice", source = "10.0.0.0/8"'
    assert decide(compile_text, match, view(source="10.1.2.3"))
    assert not decide(compile_text, match, view(source="192.0.2.1"))


def test_an_empty_match_matches_every_request(compile_text: Compile) -> None:
    routing = compile_text('[[rules]]\nforward = "sip:gw.example.net"\n')
    decision = routing.rules.decide(view(), 0)
    assert decision.action == Forward("sip:gw.example.net")
    assert 'rule 1 "rule-1", line 1: matched: matches every request' in decision.explain()
