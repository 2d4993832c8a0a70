"""Target determination for a local user: registered contacts plus call forwarding (pure).

How this works: `plan()` turns the user's bindings and `Forwarding` into a `Plan` the proxy core
runs (`ResponseContext(request, plan.groups, config, now, plan.on_failure)`), or into a `reply`
when there is nothing to forward to.

- `always` set: the one forward target, nothing else (the phones do not ring).
- registered: one group per q-value, highest first, a q's contacts in parallel (RFC 3261
  §16.6, serial forking by q). With `no_answer` set, the last group gets
  `timeout = no_answer_after`.
- not registered: the `unregistered` target, else 480 Temporarily Unavailable (RFC 3261
  §21.4.18: "the callee's end system was contacted successfully but the callee is currently
  unavailable", which is also what a registrar-only proxy answers for an AoR with no bindings).
- `on_failure`: once every group failed, a fallback adds one more group, at most once per plan:
  the `busy` target when the best response is 486 Busy Here or 600 Busy Everywhere, else the
  `no_answer` target when the best response says nobody answered: 408 (no response, Timer C),
  480, 487 (the branches we cancelled after `no_answer_after`), or 5xx. The no-answer target
  is a fallback rather than a group after the phones because the core starts the next group as
  soon as the previous one failed: a phone's 486 would then reach the no-answer target instead
  of the busy one.

Forwarding to another local user. `Plan.forwards` lists the forward targets a plan may use
(the Targets with a `reason` starting "forward-"). The caller resolves each one that names a
user of a served domain (a SIP/SIPS URI whose host `Locality.is_local`): it looks up that
user's bindings and forwarding, calls `plan(user, domain, ..., hops=hops + 1)`, resolves that
plan's `forwards` the same way, and hands the results to `splice(outer, {uri: inner})`. The
lookups happen before forking because `on_failure` runs synchronously inside the proxy core.
At `max_hops` a plan has no `forwards` and does not forward: where it would have, it answers
482 Loop Detected, so a loop alice -> bob -> alice ends after `max_hops` lookups.

Pure: no I/O, no clock (bindings are the live ones the location service returned).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import groupby
from typing import TYPE_CHECKING, ClassVar, Final

from sipwarden.location.binding import DEFAULT_Q, Binding, sorted_bindings
from sipwarden.proxy.targets import Target, TargetGroup
from sipwarden.sip.message import Response
from sipwarden.value import Value

if TYPE_CHECKING:  # sipwarden.users opens SQLite and reads the clock: only its type is needed
    from sipwarden.users.forwarding import Forwarding

OnFailure = Callable[[Response], list[TargetGroup]]

DEFAULT_MAX_HOPS = 5
FORWARD_PREFIX = "forward-"
REGISTERED = "registered"
ALWAYS = "forward-always"
BUSY = "forward-busy"
NO_ANSWER = "forward-no-answer"
UNREGISTERED = "forward-unregistered"
UNAVAILABLE = (480, "Temporarily Unavailable")
LOOP = (482, "Loop Detected")
BUSY_STATUSES = frozenset({486, 600})
NO_ANSWER_STATUSES = frozenset({408, 480, 487})


class Plan(Value):
    """What to do with a request for a local user: fork to `groups` (then `on_failure`), or, when
    `reply` is set, answer it with that (status, reason) and forward nothing.

    `forwards`: the forward targets (absolute URIs) that `groups` and `on_failure` may use, for
    the caller to check for local users and resolve before forking (see `splice`); empty at
    `max_hops`, so resolving them recursively always ends.
    """

    # A Value, not a dataclass: one is made per proxied request (see sipwarden/value.py).
    __slots__ = ("forwards", "groups", "on_failure", "reply")
    _names: ClassVar[tuple[str, ...]] = ("groups", "on_failure", "reply", "forwards")

    def __init__(
        self,
        groups: list[TargetGroup] | None = None,
        on_failure: OnFailure | None = None,
        reply: tuple[int, str] | None = None,
        forwards: tuple[str, ...] = (),
    ) -> None:
        self.groups: Final[list[TargetGroup]] = [] if groups is None else groups
        self.on_failure: Final = on_failure
        self.reply: Final = reply
        self.forwards: Final = forwards

    def _fields(self) -> tuple[object, ...]:
        return (self.groups, self.on_failure, self.reply, self.forwards)


def plan(
    aor_user: str,
    domain: str,
    bindings: list[Binding],
    forwarding: Forwarding | None,
    *,
    hops: int = 0,
    max_hops: int = DEFAULT_MAX_HOPS,
) -> Plan:
    """The plan for a request to `aor_user@domain` (see the module docstring).

    `hops`: how many forwarding steps from local user to local user led here (0 for the user
    the request was addressed to); at `max_hops` forwarding is not used.
    """
    if forwarding is not None and hops >= max_hops:
        return _plan_at_limit(bindings, forwarding)
    if forwarding is not None and forwarding.always is not None:
        return _forward_plan(forwarding.always, domain, ALWAYS)
    if not bindings:
        if forwarding is not None and forwarding.unregistered is not None:
            return _forward_plan(forwarding.unregistered, domain, UNREGISTERED)
        return Plan(reply=UNAVAILABLE)
    groups = registered_groups(bindings, _no_answer_timeout(forwarding))
    fallback = _fallback(forwarding, domain)
    if fallback is None:
        return Plan(groups)
    return Plan(groups, fallback, forwards=fallback.uris())


def _plan_at_limit(bindings: list[Binding], forwarding: Forwarding) -> Plan:
    if forwarding.always is not None or (not bindings and forwarding.unregistered is not None):
        return Plan(reply=LOOP)
    if not bindings:
        return Plan(reply=UNAVAILABLE)
    return Plan(registered_groups(bindings))


def registered_groups(
    bindings: Iterable[Binding], timeout: float | None = None
) -> list[TargetGroup]:
    """One TargetGroup per q-value, highest q first; `timeout` on the last group."""
    groups = [
        TargetGroup(tuple(_registered(b) for b in same_q))
        for _, same_q in groupby(sorted_bindings(bindings), key=_q)
    ]
    if groups and timeout is not None:
        groups[-1] = TargetGroup(groups[-1].targets, timeout)
    return groups


def _q(binding: Binding) -> float:
    return DEFAULT_Q if binding.q is None else binding.q


def _registered(binding: Binding) -> Target:
    return Target(
        uri=binding.contact,
        path=binding.path,
        q=binding.q,
        source=binding.source,
        reason=REGISTERED,
    )


def _no_answer_timeout(forwarding: Forwarding | None) -> float | None:
    if forwarding is None or forwarding.no_answer is None:
        return None
    return float(forwarding.no_answer_after)


def _forward_plan(target: str, domain: str, reason: str) -> Plan:
    group = _forward_group(target, domain, reason)
    return Plan([group], forwards=(group.targets[0].uri,))


def _forward_group(target: str, domain: str, reason: str) -> TargetGroup:
    return TargetGroup((Target(uri=absolute(target, domain), reason=reason),))


def absolute(target: str, domain: str) -> str:
    """A stored target as a URI: `Forwarding.expand` already made it one; a bare user left by a
    caller that built a Forwarding by hand is taken as `sip:user@domain`."""
    if ":" in target:
        return target
    user, _, host = target.partition("@")
    host = host or domain
    return f"sip:{user}@{f'[{host}]' if ':' in host else host}"


def _fallback(forwarding: Forwarding | None, domain: str) -> Fallback | None:
    if forwarding is None or (forwarding.busy is None and forwarding.no_answer is None):
        return None
    busy = None if forwarding.busy is None else _forward_group(forwarding.busy, domain, BUSY)
    no_answer = None
    if forwarding.no_answer is not None:
        no_answer = _forward_group(forwarding.no_answer, domain, NO_ANSWER)
    return Fallback(busy, no_answer)


class Fallback:
    """`on_failure` of a plan with busy or no-answer forwarding: one extra group, at most once."""

    __slots__ = ("busy", "no_answer", "used")

    def __init__(self, busy: TargetGroup | None, no_answer: TargetGroup | None) -> None:
        self.busy = busy
        self.no_answer = no_answer
        self.used = False

    def __call__(self, best: Response) -> list[TargetGroup]:
        """The group to try after `best`, the best final response so far (RFC 3261 §16.7 step
        6), or [] to send `best` upstream."""
        group = self.pick(best.status)
        if self.used or group is None:
            return []
        self.used = True
        return [group]

    def uris(self) -> tuple[str, ...]:
        """The URIs of the busy and no-answer targets, each once."""
        groups = (self.busy, self.no_answer)
        return tuple(dict.fromkeys(g.targets[0].uri for g in groups if g is not None))

    def pick(self, status: int) -> TargetGroup | None:
        """The group for a best response `status`, ignoring whether one was used already."""
        if status in BUSY_STATUSES:
            return self.busy
        if status in NO_ANSWER_STATUSES or 500 <= status <= 599:
            return self.no_answer
        return None


def is_forward(target: Target) -> bool:
    """True for a target that forwarding added (its URI may be a local user to resolve again)."""
    return target.reason.startswith(FORWARD_PREFIX)


def forward_uris(forwarding: Forwarding | None, domain: str) -> list[str]:
    """Every target `forwarding` has, as absolute URIs, each once (a superset of the `forwards`
    of any plan made from it): what a caller may resolve before `splice`."""
    if forwarding is None:
        return []
    kinds = (forwarding.always, forwarding.busy, forwarding.no_answer, forwarding.unregistered)
    return list(dict.fromkeys(absolute(t, domain) for t in kinds if t is not None))


def splice(outer: Plan, resolved: Mapping[str, Plan]) -> Plan:
    """`outer` with every forward target whose URI is a key of `resolved` (a local user among
    `outer.forwards`, already planned and spliced with `hops + 1`) replaced by that user's plan.

    A forward target is always alone in its group, so the group is replaced by the inner plan's
    groups; an inner `reply` (480, 482) takes the place of an outer plan that was only that
    target, and a fallback group whose inner plan is a reply is dropped (the best response so far
    goes upstream). The inner plan's own `on_failure` applies once its groups failed.
    """
    target = _only_forward_target(outer)
    if target is not None and target.uri in resolved:
        return resolved[target.uri]
    if outer.on_failure is None:
        return outer
    return Plan(outer.groups, _SplicedFailure(outer.on_failure, resolved), outer.reply)


def _only_forward_target(outer: Plan) -> Target | None:
    if len(outer.groups) != 1 or len(outer.groups[0].targets) != 1:
        return None
    target = outer.groups[0].targets[0]
    return target if is_forward(target) else None


class _SplicedFailure:
    """An on_failure whose forward groups for local users become those users' plans."""

    __slots__ = ("inner", "outer", "resolved")

    def __init__(self, outer: OnFailure, resolved: Mapping[str, Plan]) -> None:
        self.outer = outer
        self.resolved = resolved
        self.inner: OnFailure | None = None

    def __call__(self, best: Response) -> list[TargetGroup]:
        if self.inner is not None:
            return self.inner(best)
        groups: list[TargetGroup] = []
        for group in self.outer(best):
            groups.extend(self._expand(group))
        return groups

    def _expand(self, group: TargetGroup) -> list[TargetGroup]:
        target = group.targets[0] if len(group.targets) == 1 else None
        if target is None or not is_forward(target) or target.uri not in self.resolved:
            return [group]
        inner = self.resolved[target.uri]
        if inner.reply is not None:
            return []
        self.inner = inner.on_failure
        return list(inner.groups)
