"""The rules used when the config file has no `[[rules]]`: what the proxy did before rules.

In order (requests inside a dialog or with Route values never reach the rules):
1. `local-callers-authenticate`: a caller from a served domain must authenticate (407, RFC
   3261 §22.3); left out with `[auth] authenticate_calls = false`. Trusted peers pass.
2. `no-open-relay`: neither the caller nor the callee in a served domain, and not from a
   trusted peer: 403 Relaying Denied.
3. `local-callee`: a callee in a served domain: location lookup (contacts and forwarding).
4. `foreign-callee`: anything else: forwarded to its Request-URI.
"""

from __future__ import annotations

from sipwarden.routing.actions import ChallengeSpec, ForwardSpec, LookupSpec, ReplySpec
from sipwarden.routing.match import Flag, Match, TrustedIs
from sipwarden.routing.request import RequestView
from sipwarden.routing.table import Rule, RuleTable

SOURCE = "built-in default rules"


def _from_local(view: RequestView) -> bool:
    return view.from_local


def _ruri_local(view: RequestView) -> bool:
    return view.ruri_local


def default_table(authenticate_calls: bool = True) -> RuleTable:
    """The built-in table (see the module docstring)."""
    rules = []
    if authenticate_calls:
        from_local = Match((Flag("from_local", True, _from_local),))
        rules.append(Rule(0, "local-callers-authenticate", from_local, action=ChallengeSpec()))
    relay = Match(
        (
            Flag("from_local", False, _from_local),
            Flag("ruri_local", False, _ruri_local),
            TrustedIs(False),
        )
    )
    rules.append(Rule(0, "no-open-relay", relay, action=ReplySpec(403, "Relaying Denied")))
    local = Match((Flag("ruri_local", True, _ruri_local),))
    rules.append(Rule(0, "local-callee", local, action=LookupSpec()))
    rules.append(Rule(0, "foreign-callee", action=ForwardSpec()))
    numbered = tuple(
        Rule(n, rule.name, rule.match, action=rule.action) for n, rule in enumerate(rules, 1)
    )
    return RuleTable(numbered, source=SOURCE)
