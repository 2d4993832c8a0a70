"""Without [[rules]] the table does what `Proxy._targets` did before rules (server/proxying.py).

`today()` restates that logic: a caller from a served domain must authenticate (when
`authenticate_calls`); neither caller nor callee local: 403 Relaying Denied; a local callee:
location lookup; anything else: forwarded to its Request-URI.
"""

from __future__ import annotations

from itertools import product

import pytest

from sipwarden.routing import (
    Challenge,
    Forward,
    Lookup,
    Reply,
    Terminal,
    TrustedPeer,
    build_view,
    default_table,
)

from .conftest import Compile

RURI = "sip:bob@example.com"


def today(
    from_local: bool, ruri_local: bool, authenticated: bool, authenticate_calls: bool
) -> Terminal:
    if from_local and authenticate_calls and not authenticated:
        return Challenge()
    if not from_local and not ruri_local:
        return Reply(403, "Relaying Denied")
    if ruri_local:
        return Lookup(RURI)
    return Forward(RURI)


@pytest.mark.parametrize(
    ("from_local", "ruri_local", "authenticated", "authenticate_calls"),
    list(product([False, True], repeat=4)),
)
def test_default_table_is_todays_behaviour(
    from_local: bool, ruri_local: bool, authenticated: bool, authenticate_calls: bool
) -> None:
    view = build_view(
        "INVITE",
        RURI,
        "sip:alice@example.org",
        from_local=from_local,
        ruri_local=ruri_local,
        authenticated="alice" if authenticated else None,
    )
    decision = default_table(authenticate_calls).decide(view, 0)
    assert decision.action == today(from_local, ruri_local, authenticated, authenticate_calls)


def test_no_rules_in_the_file_means_the_default_table(compile_text: Compile) -> None:
    routing = compile_text('[server]\ndomains = ["example.com"]\n')
    assert routing.rules.rules == default_table().rules
    assert routing.rules.source == "built-in default rules"
    names = [rule.name for rule in routing.rules.rules]
    assert names == [
        "local-callers-authenticate",
        "no-open-relay",
        "local-callee",
        "foreign-callee",
    ]


def test_authenticate_calls_false_drops_the_challenge(compile_text: Compile) -> None:
    routing = compile_text("[auth]\nauthenticate_calls = false\n")
    assert [rule.name for rule in routing.rules.rules] == [
        "no-open-relay",
        "local-callee",
        "foreign-callee",
    ]


def test_trusted_peer_skips_the_challenge_and_may_relay() -> None:
    peer = TrustedPeer("trunk")
    table = default_table()
    local = build_view("INVITE", RURI, "sip:pbx@example.com", from_local=True, trusted=peer)
    assert table.decide(local, 0).action == Forward(RURI)
    foreign = build_view("INVITE", RURI, "sip:pbx@carrier.net", trusted=peer)
    assert table.decide(foreign, 0).action == Forward(RURI)


def test_default_trace_names_the_built_in_rules() -> None:
    view = build_view("INVITE", RURI, "sip:eve@evil.example", source="203.0.113.9")
    assert default_table().decide(view, 0).explain().splitlines() == [
        "request: INVITE sip:bob@example.com",
        "from: eve@evil.example via udp from 203.0.113.9",
        "rules: built-in default rules",
        'rule 1 "local-callers-authenticate": no match: from_local is false',
        'rule 2 "no-open-relay": matched: from_local is false; ruri_local is false;'
        " from no trusted peer (wanted false)",
        "=> reply 403 Relaying Denied",
    ]
