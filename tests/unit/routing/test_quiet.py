"""`decide(..., explain=False)` (the proxy's call when it does not log the trace) reaches the
same decision as the traced one, and every condition's `test` agrees with its `check`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sipwarden.routing import Decision, RuleTable, build_view, default_table
from sipwarden.routing.match import Check
from sipwarden.routing.request import RequestView

from .conftest import Compile

NOON_SATURDAY = datetime(2026, 11, 21, 12, 0, tzinfo=UTC).timestamp()

GATEWAYS = """
[gateways.pstn]
destinations = ["sip:gw1.example.net"]

[lcr]
"+49" = ["pstn"]
"""

TABLES = {
    "captures": (
        "[[rules]]\nmatch = { ruri_user = '\\+49(?P<area>30)(\\d+)', from_user = '(?P<who>.*)' }\n"
        'forward = "sip:$2-${area}-${who}$$@gw.example.net"\n'
        "[[rules]]\nmatch.ruri_user = '\\+(\\d+)'\nredirect = \"sip:$1@other.example.net\"\n"
        "[[rules]]\nlookup = true\n"
    ),
    "modifiers": (
        "[[rules]]\nmatch.ruri_user = '\\+(\\d\\d)(\\d+)'\n"
        'rewrite = { strip = 1, prefix = "+49" }\n'
        'set_header = { X-Country = "$1", X-Route = "pstn" }\nremove_header = "X-Debug"\n'
        "[[rules]]\nrewrite = [{ pattern = '\\+49(\\d+)', replace = '0049$1' }, { strip = 2 }]\n"
        '[[rules]]\nremove_header = ["X-Route"]\nforward = true\n'
    ),
    "rewrite-fails": '[[rules]]\nrewrite = { strip = 3, prefix = "0" }\nforward = true\n',
    "challenge": ('[[rules]]\nchallenge = { realm = "example.com" }\n[[rules]]\nlookup = true\n'),
    "trusted": (
        '[[trusted]]\nname = "carrier"\nsource = "192.0.2.0/24"\n'
        "destinations = ['\\+49\\d+', '110']\n"
        '[[rules]]\nmatch = { trusted = "carrier" }\nchallenge = true\n'
        "[[rules]]\nmatch = { trusted = true, authenticated = false }\nforward = true\n"
        "[[rules]]\nreply = 486\n"
    ),
    "lcr": GATEWAYS + "[[rules]]\nforward = { lcr = true }\n",
    "lcr-gateway": GATEWAYS + '[[rules]]\nforward = { gateway = "pstn" }\n',
    "conditions": (
        '[[rules]]\nmatch = { method = ["MESSAGE"], transport = "tls" }\nreply = 488\n'
        '[[rules]]\nmatch = { source = ["10.0.0.0/8", "2001:db8::/32"] }\nreply = 403\n'
        '[[rules]]\nmatch = { time = "08:00-11:00", days = ["sat"] }\nreply = 480\n'
        "[[rules]]\nmatch = { header = { User-Agent = 'Poly(?P<model>\\w+).*' } }\n"
        'set_header = { X-Model = "${model}" }\n'
        "[[rules]]\nmatch = { ruri_domain = 'example\\.com', from_local = false }\nreply = 404\n"
        '[[rules]]\nmatch = { to_user = "bob", ruri_local = true }\nreply = 603\n'
        "[[rules]]\nmatch = { from_domain = 'example\\.com' }\nforward = true\n"
    ),
    "no-rule": '[[rules]]\nmatch.method = "OPTIONS"\nreply = 405\n',
}

HEADERS = {"user-agent": ("Polycom VVX 450",)}


def views() -> list[RequestView]:
    """Requests that take each table down its different paths."""
    out = []
    for ruri in ("sip:+4930123@example.com", "sip:110@example.com", "tel:+4930123",
                 "sip:example.com", "sip:bob@example.org"):  # fmt: skip
        for fields in (
            {},
            {"authenticated": "alice"},
            {"source": "192.0.2.7"},
            {"source": "10.1.2.3", "transport": "tcp"},
            {"source": "2001:db8::5", "from_local": True, "ruri_local": True},
            {"transport": "tls"},
            {"headers": lambda name: HEADERS.get(name.lower(), ())},
        ):
            for method in ("INVITE", "MESSAGE"):
                out.append(build_view(method, ruri, "sip:alice@example.com", "sip:bob@x", **fields))
    return out


def replaced(view: RequestView, **changes: object) -> RequestView:
    """`view` with the fields in `changes` replaced (RequestView is not a dataclass)."""
    values = dict(zip(RequestView._names, view._fields()))
    return RequestView(**{**values, **changes})  # type: ignore[arg-type]


def same(table: RuleTable, view: RequestView, now: float) -> Decision:
    traced = table.decide(view, now)
    quiet = table.decide(view, now, explain=False)
    t = traced
    assert quiet == Decision(t.action, t.rule, t.ruri, t.rewrites, t.headers, t.captures, ())
    assert traced.trace and traced.explain()  # the default still writes the trace
    return traced


@pytest.mark.parametrize("name", sorted(TABLES))
def test_quiet_decisions_equal_the_traced_ones(compile_text: Compile, name: str) -> None:
    routing = compile_text(TABLES[name])
    for view in views():
        trusted = routing.trust.match(view.source, ())
        view = replaced(view, trusted=trusted)
        for now in (0.0, NOON_SATURDAY):
            same(routing.rules, view, now)


@pytest.mark.parametrize("authenticate_calls", [True, False])
def test_quiet_default_table(authenticate_calls: bool) -> None:
    table = default_table(authenticate_calls)
    for view in views():
        same(table, view, 0.0)


def test_each_condition_test_agrees_with_its_check(compile_text: Compile) -> None:
    for text in TABLES.values():
        routing = compile_text(text)
        for rule in routing.rules.rules:
            for condition in rule.match.conditions:
                for view in views():
                    for now in (0.0, NOON_SATURDAY):
                        check = condition.check(view, now)
                        tested = condition.test(view, now)
                        assert (tested is not None) is check.ok
                        if isinstance(tested, Check):
                            assert (tested.groups, tested.named) == (check.groups, check.named)
