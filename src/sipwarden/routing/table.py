"""The compiled rule table and its decisions (pure).

How this works: `RuleTable.decide(view, now)` tries the rules in order. A rule whose match
fails is skipped. A rule that matches applies its modifiers (rewrites change the Request-URI
the next rules see) and then its terminal action ends the search; a rule without one (only
modifiers), and a `challenge` rule when the request is authenticated or from a trusted peer,
lets the search go on. When no rule ends it, the answer is 404 Not Found ("no rule matched");
a rewrite that makes an invalid Request-URI (a tel URI losing its "+" without a
phone-context, RFC 3966 §5.1.5) ends it with 500 Rewrite Failed.
A trusted peer limited to some destinations gets 403 for any other Request-URI before any
rule runs. Every step is recorded in the `Decision`'s trace, which `explain()` prints;
`decide(..., explain=False)` reaches the same decision without writing the trace (the proxy
asks for it only when it logs it: the phrases cost more than the decision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final

from sipwarden.errors import LocalError, ParseError
from sipwarden.routing.actions import (
    Challenge,
    ChallengeSpec,
    Forward,
    ForwardSpec,
    HeaderEdit,
    Lookup,
    LookupSpec,
    Redirect,
    RedirectSpec,
    Reply,
    ReplySpec,
    Rewrite,
    SetHeaderSpec,
    Terminal,
    TerminalSpec,
)
from sipwarden.routing.lcr import LcrTable
from sipwarden.routing.match import Match
from sipwarden.routing.request import RequestView, with_user
from sipwarden.routing.template import Captures
from sipwarden.value import Value

NO_RULE = Reply(404, "Not Found")
NOT_ALLOWED = Reply(403, "Destination Not Allowed")
NO_LCR_ROUTE = Reply(404, "No Route")
REWRITE_FAILED = Reply(500, "Rewrite Failed")


@dataclass(frozen=True, slots=True)
class Rule:
    """One `[[rules]]` entry. `number` counts from 1; `line` is None for built-in rules."""

    number: int
    name: str
    match: Match = field(default_factory=Match)
    rewrites: tuple[Rewrite, ...] = ()
    set_headers: tuple[SetHeaderSpec, ...] = ()
    remove_headers: tuple[str, ...] = ()
    action: TerminalSpec | None = None
    line: int | None = None

    def label(self) -> str:
        at = "" if self.line is None else f", line {self.line}"
        return f'rule {self.number} "{self.name}"{at}'


class RewriteStep(Value):
    """A rewrite applied by `rule`: the Request-URI `before` and `after`, and how."""

    # Values, not dataclasses, from here to _Walk: made for every routed request (see
    # sipwarden/value.py).
    __slots__ = ("after", "before", "how", "rule")
    _names: ClassVar[tuple[str, ...]] = ("rule", "before", "after", "how")

    def __init__(self, rule: str, before: str, after: str, how: str) -> None:
        self.rule: Final = rule
        self.before: Final = before
        self.after: Final = after
        self.how: Final = how

    def _fields(self) -> tuple[object, ...]:
        return (self.rule, self.before, self.after, self.how)


class Decision(Value):
    """What to do with one request; see the module docstring."""

    __slots__ = ("action", "captures", "headers", "rewrites", "rule", "ruri", "trace")
    _names: ClassVar[tuple[str, ...]] = (
        "action",
        "rule",
        "ruri",
        "rewrites",
        "headers",
        "captures",
        "trace",
    )

    def __init__(
        self,
        action: Terminal,
        rule: Rule | None,
        ruri: str,
        rewrites: tuple[RewriteStep, ...] = (),
        headers: tuple[HeaderEdit, ...] = (),
        captures: Captures | None = None,
        trace: tuple[str, ...] = (),
    ) -> None:
        self.action: Final = action
        self.rule: Final = rule
        self.ruri: Final = ruri
        self.rewrites: Final = rewrites
        self.headers: Final = headers
        self.captures: Final[Captures] = Captures() if captures is None else captures
        self.trace: Final = trace

    def _fields(self) -> tuple[object, ...]:
        return (
            self.action,
            self.rule,
            self.ruri,
            self.rewrites,
            self.headers,
            self.captures,
            self.trace,
        )

    def explain(self) -> str:
        """The trace as lines of text, ending with the outcome."""
        return "\n".join(self.trace)


class _Walk:
    """The state of one decide() call; `explain`: whether to write the trace."""

    # Mutable, compared by identity (it was never compared).
    __slots__ = ("explain", "headers", "rewrites", "trace", "view")

    def __init__(self, view: RequestView, explain: bool = True) -> None:
        self.view = view
        self.explain = explain
        self.rewrites: list[RewriteStep] = []
        self.headers: list[HeaderEdit] = []
        self.trace: list[str] = []


@dataclass(frozen=True, slots=True)
class RuleTable:
    """Immutable rules, tried in order; `source` names where they came from."""

    rules: tuple[Rule, ...]
    lcr: LcrTable = field(default_factory=LcrTable)
    source: str = "built-in default rules"

    def decide(self, view: RequestView, now: float, *, explain: bool = True) -> Decision:
        """The decision for `view` at wall-clock time `now` (seconds since the epoch); with
        `explain=False` the same decision with an empty trace."""
        walk = _Walk(view, explain)
        if explain:
            walk.trace += [
                f"request: {view.method} {view.ruri}",
                _caller(view),
                f"rules: {self.source}",
            ]
        peer = view.trusted
        if peer is not None and not peer.allows(view.ruri_user):
            if explain:
                walk.trace.append(f"trusted peer {peer.name} may not call {view.ruri}")
            return self._finish(walk, None, NOT_ALLOWED, Captures())
        for rule in self.rules:
            decision = self._try(rule, walk, now)
            if decision is not None:
                return decision
        if explain:
            walk.trace.append("no rule matched")
        return self._finish(walk, None, NO_RULE, Captures())

    def _try(self, rule: Rule, walk: _Walk, now: float) -> Decision | None:
        if walk.explain:
            captures = self._matched(rule, walk, now)
        else:
            captures = rule.match.test(walk.view, now)
        if captures is None:
            return None
        passed = isinstance(rule.action, ChallengeSpec) and self._passes(walk.view)
        if passed and walk.explain:
            walk.trace.append(f"  challenge: {passed}, no challenge")
        if not self._modify(rule, walk, captures):
            return self._finish(walk, rule, REWRITE_FAILED, captures)
        if rule.action is None or passed:
            if walk.explain:
                walk.trace.append("  continuing with the next rule")
            return None
        action = self._terminal(rule.action, walk.view, captures)
        return self._finish(walk, rule, action, captures)

    @staticmethod
    def _matched(rule: Rule, walk: _Walk, now: float) -> Captures | None:
        """`Match.evaluate`, traced: the captures, or None when the rule does not match."""
        matched, said, captures = rule.match.evaluate(walk.view, now)
        if not matched:
            walk.trace.append(f"{rule.label()}: no match: {said[-1]}")
            return None
        detail = "; ".join(said) if said else "matches every request"
        groups = captures.describe()
        walk.trace.append(f"{rule.label()}: matched: {detail}" + (f" ({groups})" if groups else ""))
        return captures

    @staticmethod
    def _passes(view: RequestView) -> str:
        if view.authenticated is not None:
            return f"authenticated as {view.authenticated}"
        if view.trusted is not None:
            return f"trusted peer {view.trusted.name}"
        return ""

    def _modify(self, rule: Rule, walk: _Walk, captures: Captures) -> bool:
        """Apply the rule's modifiers; False when a rewrite made an unusable Request-URI."""
        for rewrite in rule.rewrites:
            before = walk.view.ruri
            user = walk.view.ruri_user
            if user is None:
                if walk.explain:
                    walk.trace.append("  rewrite skipped: the Request-URI has no user part")
                continue
            try:
                after = with_user(before, rewrite.apply(user))
            except (LocalError, ParseError) as error:
                if walk.explain:
                    walk.trace.append(
                        f"  rewrite ({rewrite.describe()}) failed on {before}: {error}"
                    )
                return False
            walk.rewrites.append(RewriteStep(rule.name, before, after, rewrite.describe()))
            if walk.explain:
                walk.trace.append(f"  rewrite ({rewrite.describe()}): {before} -> {after}")
            walk.view = walk.view.with_ruri(after)
        if not rule.set_headers and not rule.remove_headers:
            return True
        edits = [HeaderEdit("set", h.name, h.value.render(captures)) for h in rule.set_headers]
        edits += [HeaderEdit("remove", name) for name in rule.remove_headers]
        walk.headers.extend(edits)
        if walk.explain:
            walk.trace.extend(f"  {edit.describe()}" for edit in edits)
        return True

    def _terminal(self, spec: TerminalSpec, view: RequestView, captures: Captures) -> Terminal:
        if isinstance(spec, LookupSpec):
            return Lookup(view.ruri)
        if isinstance(spec, ForwardSpec):
            return self._forward(spec, view, captures)
        if isinstance(spec, ReplySpec):
            return Reply(spec.code, spec.reason)
        if isinstance(spec, ChallengeSpec):
            return Challenge(spec.realm)
        assert isinstance(spec, RedirectSpec)
        return Redirect(spec.uri.render(captures))

    def _forward(self, spec: ForwardSpec, view: RequestView, captures: Captures) -> Terminal:
        if spec.uri is not None:
            return Forward(spec.uri.render(captures))
        if spec.gateway is not None:
            return Forward(view.ruri, (spec.gateway,))
        if spec.lcr:
            entry = self.lcr.lookup(view.ruri_user)
            if entry is None:
                return NO_LCR_ROUTE
            return Forward(view.ruri, entry.groups, entry.prefix)
        return Forward(view.ruri)

    def _finish(
        self, walk: _Walk, rule: Rule | None, action: Terminal, captures: Captures
    ) -> Decision:
        if walk.explain:
            walk.trace.append(f"=> {describe(action)}")
        return Decision(
            action,
            rule,
            walk.view.ruri,
            tuple(walk.rewrites),
            tuple(walk.headers),
            captures,
            tuple(walk.trace),
        )


def _caller(view: RequestView) -> str:
    user = f"{view.from_user}@" if view.from_user else ""
    said = f"from: {user}{view.from_domain} via {view.transport} from {view.source or '?'}"
    if view.authenticated is not None:
        said += f", authenticated as {view.authenticated}"
    if view.trusted is not None:
        said += f", trusted peer {view.trusted.name}"
    return said


def describe(action: Terminal) -> str:
    """The outcome in words, for the trace."""
    if isinstance(action, Lookup):
        return f"location lookup for {action.ruri}"
    if isinstance(action, Forward):
        if not action.gateways:
            return f"forward to {action.uri}"
        via = "" if action.lcr_prefix is None else f' (LCR prefix "{action.lcr_prefix}")'
        names = ", ".join(action.gateways)
        return f"forward {action.uri} via gateway group(s) {names}{via}"
    if isinstance(action, Reply):
        return f"reply {action.code} {action.reason}"
    if isinstance(action, Challenge):
        realm = action.realm or "the caller's domain"
        return f"challenge: 407 Proxy Authentication Required (realm {realm})"
    return f"redirect: 302 Moved Temporarily to {action.uri}"
