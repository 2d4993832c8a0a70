"""Each action and modifier, captures in templates, rule order and the decision trace."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sipwarden.config import load_config
from sipwarden.routing import (
    Challenge,
    Forward,
    HeaderEdit,
    Lookup,
    Redirect,
    Rejected,
    Reply,
    RewriteStep,
    build_view,
    compile_rules,
)
from sipwarden.routing.request import RequestView

from .conftest import Compile, Errors

GATEWAYS = """
[gateways.pstn]
destinations = ["sip:gw1.example.net", "sip:gw2.example.net"]

[gateways.backup]
destinations = ["sip:backup.example.net"]

[lcr]
"+49" = ["pstn", "backup"]
"+4930" = ["backup"]
"" = ["pstn"]
"""


def invite(ruri: str = "sip:+4930123@example.com", **fields: object) -> RequestView:
    return build_view("INVITE", ruri, "sip:alice@example.com", **fields)


def test_lookup(compile_text: Compile) -> None:
    routing = compile_text("[[rules]]\nlookup = true\n")
    decision = routing.rules.decide(invite(), 0)
    assert decision.action == Lookup("sip:+4930123@example.com")
    assert decision.explain().endswith("=> location lookup for sip:+4930123@example.com")


def test_forward_to_a_uri_with_captures(compile_text: Compile) -> None:
    text = (
        "[[rules]]\nmatch = { ruri_user = '\\+49(?P<area>30)(\\d+)', from_user = '(?P<who>.*)' }\n"
        'forward = "sip:$2-${area}-${who}$$@gw.example.net"\n'
    )
    decision = compile_text(text).rules.decide(invite(), 0)
    assert decision.action == Forward("sip:123-30-alice$@gw.example.net")
    assert decision.captures.numbered == ("30", "123")
    assert '($1="30" $2="123" ${area}="30" ${who}="alice")' in decision.explain()


def test_forward_to_the_request_uri(compile_text: Compile) -> None:
    decision = compile_text("[[rules]]\nforward = true\n").rules.decide(invite(), 0)
    assert decision.action == Forward("sip:+4930123@example.com")


def test_forward_table_uri(compile_text: Compile) -> None:
    text = '[[rules]]\nforward = { uri = "sips:pbx.example.net" }\n'
    decision = compile_text(text).rules.decide(invite(), 0)
    assert decision.action == Forward("sips:pbx.example.net")


def test_forward_to_a_gateway_group(compile_text: Compile) -> None:
    text = GATEWAYS + '[[rules]]\nforward = { gateway = "pstn" }\n'
    decision = compile_text(text).rules.decide(invite(), 0)
    assert decision.action == Forward("sip:+4930123@example.com", ("pstn",))
    assert decision.explain().endswith("via gateway group(s) pstn")


def test_forward_by_lcr_takes_the_longest_prefix(compile_text: Compile) -> None:
    routing = compile_text(GATEWAYS + "[[rules]]\nforward = { lcr = true }\n")
    berlin = routing.rules.decide(invite(), 0)
    assert berlin.action == Forward("sip:+4930123@example.com", ("backup",), "+4930")
    munich = routing.rules.decide(invite("sip:+4989123@example.com"), 0)
    assert munich.action == Forward("sip:+4989123@example.com", ("pstn", "backup"), "+49")
    other = routing.rules.decide(invite("sip:+1555@example.com"), 0)
    assert other.action == Forward("sip:+1555@example.com", ("pstn",), "")
    assert 'via gateway group(s) pstn, backup (LCR prefix "+49")' in munich.explain()


def test_lcr_without_a_matching_prefix_is_404(compile_text: Compile) -> None:
    text = GATEWAYS.replace('"" = ["pstn"]\n', "") + "[[rules]]\nforward = { lcr = true }\n"
    decision = compile_text(text).rules.decide(invite("sip:+1555@example.com"), 0)
    assert decision.action == Reply(404, "No Route")


def test_reply_with_code_only_or_reason(compile_text: Compile) -> None:
    routing = compile_text(
        "[[rules]]\nmatch = { method = 'MESSAGE' }\nreply = 405\n"
        '[[rules]]\nreply = { code = 603, reason = "Go Away" }\n'
    )
    message = build_view("MESSAGE", "sip:bob@example.com")
    assert routing.rules.decide(message, 0).action == Reply(405, "Method Not Allowed")
    assert routing.rules.decide(invite(), 0).action == Reply(603, "Go Away")


def test_redirect_with_captures(compile_text: Compile) -> None:
    text = "[[rules]]\nmatch.ruri_user = '\\+(\\d+)'\nredirect = \"sip:$1@other.example.net\"\n"
    decision = compile_text(text).rules.decide(invite(), 0)
    assert decision.action == Redirect("sip:4930123@other.example.net")
    assert decision.explain().endswith(
        "redirect: 302 Moved Temporarily to sip:4930123@other.example.net"
    )


def test_challenge_stops_an_unauthenticated_request(compile_text: Compile) -> None:
    routing = compile_text(
        '[[rules]]\nchallenge = { realm = "example.com" }\n[[rules]]\nlookup = true\n'
    )
    assert routing.rules.decide(invite(), 0).action == Challenge("example.com")
    passed = routing.rules.decide(invite(authenticated="alice"), 0)
    assert passed.action == Lookup("sip:+4930123@example.com")
    assert "challenge: authenticated as alice, no challenge" in passed.explain()


def test_challenge_lets_a_trusted_peer_through(compile_text: Compile) -> None:
    routing = compile_text(
        '[[trusted]]\nname = "trunk"\nsource = "192.0.2.1"\n'
        "[[rules]]\nchallenge = true\n[[rules]]\nforward = true\n"
    )
    peer = routing.trust.match("192.0.2.1")
    assert routing.rules.decide(invite(), 0).action == Challenge(None)
    decision = routing.rules.decide(invite(trusted=peer, source="192.0.2.1"), 0)
    assert decision.action == Forward("sip:+4930123@example.com")


def test_rewrite_regex_strip_prefix_in_order(compile_text: Compile) -> None:
    routing = compile_text(
        "[[rules]]\nname = \"national\"\nmatch.ruri_user = '0[1-9].*'\n"
        'rewrite = { strip = 1, prefix = "+49" }\n'
        '[[rules]]\nname = "dialplan"\n'
        "rewrite = [{ pattern = '\\+49(\\d+)', replace = '0049$1' }, { strip = 2 }]\n"
        "lookup = true\n"
    )
    decision = routing.rules.decide(invite("sip:030123@example.com;user=phone"), 0)
    assert decision.action == Lookup("sip:4930123@example.com;user=phone")
    assert decision.rewrites == (
        RewriteStep(
            "national",
            "sip:030123@example.com;user=phone",
            "sip:+4930123@example.com;user=phone",
            'strip 1, prefix "+49"',
        ),
        RewriteStep(
            "dialplan",
            "sip:+4930123@example.com;user=phone",
            "sip:004930123@example.com;user=phone",
            "'\\+49(\\d+)' -> '0049$1'",
        ),
        RewriteStep(
            "dialplan",
            "sip:004930123@example.com;user=phone",
            "sip:4930123@example.com;user=phone",
            "strip 2",
        ),
    )
    assert decision.ruri == "sip:4930123@example.com;user=phone"


def test_rewrite_pattern_that_does_not_match_leaves_the_user(compile_text: Compile) -> None:
    text = "[[rules]]\nrewrite = { pattern = '9(\\d+)', replace = '$1' }\nlookup = true\n"
    decision = compile_text(text).rules.decide(invite(), 0)
    assert decision.action == Lookup("sip:+4930123@example.com")


def test_rewrite_on_a_tel_uri(compile_text: Compile) -> None:
    text = '[[rules]]\nrewrite = { strip = 3, prefix = "+1" }\nforward = true\n'
    decision = compile_text(text).rules.decide(invite("tel:+4930123"), 0)
    assert decision.action == Forward("tel:+130123")


def test_rewrite_to_an_invalid_uri_is_500(compile_text: Compile) -> None:
    text = '[[rules]]\nrewrite = { strip = 3, prefix = "0" }\nforward = true\n'
    decision = compile_text(text).rules.decide(invite("tel:+4930123"), 0)
    assert decision.action == Reply(500, "Rewrite Failed")
    assert "failed on tel:+4930123: invalid tel URI part" in decision.explain()


def test_rules_see_the_rewritten_uri(compile_text: Compile) -> None:
    routing = compile_text(
        '[[rules]]\nrewrite = { prefix = "+49" }\n'
        "[[rules]]\nmatch.ruri_user = '\\+49.*'\nreply = 486\n"
    )
    decision = routing.rules.decide(invite("sip:30123@example.com"), 0)
    assert decision.action == Reply(486, "Busy Here")


def test_header_edits_in_order_with_captures(compile_text: Compile) -> None:
    routing = compile_text(
        "[[rules]]\nmatch.ruri_user = '\\+(\\d\\d).*'\n"
        'set_header = { X-Country = "$1", X-Route = "pstn" }\nremove_header = "X-Debug"\n'
        '[[rules]]\nremove_header = ["X-Route"]\nforward = true\n'
    )
    decision = routing.rules.decide(invite(), 0)
    assert decision.headers == (
        HeaderEdit("set", "X-Country", "49"),
        HeaderEdit("set", "X-Route", "pstn"),
        HeaderEdit("remove", "X-Debug"),
        HeaderEdit("remove", "X-Route"),
    )
    assert "  set header X-Country: 49" in decision.explain()


def test_first_matching_rule_wins(compile_text: Compile) -> None:
    routing = compile_text(
        '[[rules]]\nname = "a"\nmatch.method = "OPTIONS"\nreply = 200\n'.replace("200", "488")
        + '[[rules]]\nname = "b"\nreply = 486\n[[rules]]\nname = "c"\nreply = 600\n'
    )
    decision = routing.rules.decide(invite(), 0)
    assert decision.action == Reply(486, "Busy Here")
    assert decision.rule is not None and decision.rule.name == "b" and decision.rule.line == 5
    assert decision.explain().splitlines()[3:] == [
        'rule 1 "a", line 1: no match: method INVITE not in {OPTIONS}',
        'rule 2 "b", line 5: matched: matches every request',
        "=> reply 486 Busy Here",
    ]


def test_no_rule_matched_is_404(compile_text: Compile) -> None:
    routing = compile_text("[[rules]]\nmatch.method = 'BYE'\nreply = 486\n")
    decision = routing.rules.decide(invite(), 0)
    assert decision.action == Reply(404, "Not Found")
    assert decision.rule is None
    assert decision.explain().endswith("no rule matched\n=> reply 404 Not Found")


def test_trusted_peer_limited_to_destinations(compile_text: Compile) -> None:
    routing = compile_text(
        '[[trusted]]\nname = "trunk"\nsource = "192.0.2.0/24"\n'
        "destinations = ['\\+49\\d+', '110']\n[[rules]]\nforward = true\n"
    )
    peer = routing.trust.match("192.0.2.1")
    allowed = routing.rules.decide(invite(trusted=peer), 0)
    assert allowed.action == Forward("sip:+4930123@example.com")
    refused = routing.rules.decide(invite("sip:+1555@example.com", trusted=peer), 0)
    assert refused.action == Reply(403, "Destination Not Allowed")
    assert "trusted peer trunk may not call sip:+1555@example.com" in refused.explain()


def test_table_is_immutable(compile_text: Compile) -> None:
    routing = compile_text(GATEWAYS + "[[rules]]\nlookup = true\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        routing.rules.rules[0].name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        routing.gateways["x"] = routing.gateways["pstn"]  # type: ignore[index]


def test_rewrite_without_a_user_part_is_skipped(compile_text: Compile) -> None:
    text = '[[rules]]\nrewrite = { prefix = "0" }\nforward = true\n'
    decision = compile_text(text).rules.decide(invite("sip:example.com"), 0)
    assert decision.action == Forward("sip:example.com")
    assert "  rewrite skipped: the Request-URI has no user part" in decision.explain()


def test_rewrite_leaves_other_uri_schemes_alone(compile_text: Compile) -> None:
    text = '[[rules]]\nrewrite = { prefix = "0" }\nforward = true\n'
    view = invite("urn:service:sos", ruri_user="x")  # build_view: a field named wins
    assert compile_text(text).rules.decide(view, 0).action == Forward("urn:service:sos")


def test_source_that_is_not_an_address_matches_no_network(compile_text: Compile) -> None:
    routing = compile_text('[[rules]]\nmatch.source = "0.0.0.0/0"\nreply = 486\n')
    decision = routing.rules.decide(invite(source="unknown"), 0)
    assert decision.action == Reply(404, "Not Found")
    assert "source 'unknown' is not an IP address" in decision.explain()


def test_rejected_prints_one_error_per_line(errors: Errors, tmp_path: Path) -> None:
    messages = errors("[[rules]]\nreply = 1\n[[rules]]\nreply = 2\n")
    assert len(messages) == 2
    compiled = compile_rules(load_config(tmp_path / "sipwarden.toml"))
    assert isinstance(compiled, Rejected)
    assert str(compiled) == "\n".join(str(e) for e in compiled.errors)
    assert str(compiled).startswith(str(tmp_path / "sipwarden.toml") + ":2: ")
