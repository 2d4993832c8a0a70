"""sipwarden.routing: declarative routing rules, gateway groups, LCR and trusted peers (pure).

Rules are data in the config file, checked when it loads (`compile_rules`, errors
`FILE:LINE: ...`), compiled into an immutable `Routing` that is swapped whole on reload.
`Routing.rules.decide(view, now)` says what to do with one request and why (`Decision.explain`).
No I/O, no clock, no randomness: `now` and random sources are passed in. docs/routing.md.
"""

from sipwarden.routing.actions import (
    Challenge,
    Forward,
    HeaderEdit,
    Lookup,
    Redirect,
    Reply,
    Terminal,
)
from sipwarden.routing.compile import Rejected, Routing, compile_rules
from sipwarden.routing.default import default_table
from sipwarden.routing.gateways import (
    Destination,
    Failover,
    GatewayGroup,
    Probing,
    Selection,
    SelectionState,
)
from sipwarden.routing.health import Health, HealthChange, HealthTracker
from sipwarden.routing.lcr import LcrEntry, LcrTable
from sipwarden.routing.request import RequestView, build_view
from sipwarden.routing.table import Decision, RewriteStep, Rule, RuleTable
from sipwarden.routing.trust import TrustedPeer, TrustTable
from sipwarden.routing.wire import apply, view_of

__all__ = [
    "Challenge",
    "Decision",
    "Destination",
    "Failover",
    "Forward",
    "GatewayGroup",
    "HeaderEdit",
    "Health",
    "HealthChange",
    "HealthTracker",
    "LcrEntry",
    "LcrTable",
    "Lookup",
    "Probing",
    "Redirect",
    "Rejected",
    "Reply",
    "RequestView",
    "RewriteStep",
    "Routing",
    "Rule",
    "RuleTable",
    "Selection",
    "SelectionState",
    "Terminal",
    "TrustTable",
    "TrustedPeer",
    "apply",
    "build_view",
    "compile_rules",
    "default_table",
    "view_of",
]
