"""The response context of one proxied request, RFC 3261 §16.7 (with §16.6 step 11, §16.8, §16.10).

How this works: `start` forwards to the first TargetGroup (ForwardBranch per target); each
branch's responses, client-transaction timeouts and transport errors come back by branch id.
Provisionals (not 100) and 2xx go up at once (§16.7 step 5; every 2xx to an INVITE, RFC 6026
§7.2); other finals are kept. When every branch of a group has a final response, or the
group's timeout ran out, the next group starts (serial forking). When nothing is pending and
no group is left, `on_failure` may add groups (forward on busy); otherwise the best response
(§16.7 step 6, 7) goes up and the context ends with Finished.

The context's states (RFC 6026 names for where its server transaction stands) and inputs form
the table `TABLE`; an input that has no entry for the current state is a LocalError.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable

from sipwarden.errors import LocalError, ParseError
from sipwarden.proxy.aggregate import aggregate
from sipwarden.proxy.best import Candidate, choose, no_response, without_503
from sipwarden.proxy.branch import Branch, BranchState, CancelReason
from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.copying import copy_response
from sipwarden.proxy.events import CancelBranch, Finished, ForwardBranch, ProxyEvent, SendUpstream
from sipwarden.proxy.forking import groups_by_q
from sipwarden.proxy.recursion import keep_contacts, redirect_targets
from sipwarden.proxy.targets import TargetGroup
from sipwarden.sip import Request, Response, build_response
from sipwarden.sip.uri import Uri, parse_uri

OnFailure = Callable[[Response], list[TargetGroup]]


class ContextState(enum.Enum):
    INIT = "init"  # built, not started
    PROCEEDING = "proceeding"  # no final response sent upstream yet
    ACCEPTED = "accepted"  # a 2xx went up (later 2xx still go up, RFC 6026)
    COMPLETED = "completed"  # a non-2xx final went up; waiting for branches to end
    TERMINATED = "terminated"  # Finished was emitted


class ContextInput(enum.Enum):
    START = "start"
    RESPONSE = "response"
    BRANCH_TIMEOUT = "branch-timeout"
    TRANSPORT_ERROR = "transport-error"
    CANCEL = "cancel"
    TIMEOUT = "timeout"


_LIVE = (ContextState.PROCEEDING, ContextState.ACCEPTED, ContextState.COMPLETED)
_BRANCH_INPUTS = (
    ContextInput.RESPONSE,
    ContextInput.BRANCH_TIMEOUT,
    ContextInput.TRANSPORT_ERROR,
    ContextInput.TIMEOUT,
)
# (state, input) -> allowed. After Finished, late input is absorbed (a 2xx still goes up).
TABLE: dict[tuple[ContextState, ContextInput], bool] = {
    (ContextState.INIT, ContextInput.START): True,
    **{(s, i): True for s in _LIVE for i in (*_BRANCH_INPUTS, ContextInput.CANCEL)},
    **{(ContextState.TERMINATED, i): True for i in (*_BRANCH_INPUTS, ContextInput.CANCEL)},
}


def allowed(state: ContextState, what: ContextInput) -> bool:
    """`TABLE.get((state, what), False)` by identity: START in INIT only, every other input in
    every other state. (A tuple of Enum members as a dict key hashes them with interpreted
    code, on every input of every context.)"""
    return (state is ContextState.INIT) == (what is ContextInput.START)


class ResponseContext:
    """§16.7 for one request. `request` is the request as received (responses made here are
    built from it); `groups` the target groups in order (see `groups_by_q`)."""

    def __init__(
        self,
        request: Request,
        groups: list[TargetGroup],
        config: ProxyConfig,
        now: float,
        on_failure: OnFailure | None = None,
    ) -> None:
        self.request = request
        self.config = config
        self.on_failure = on_failure
        self.state = ContextState.INIT
        self.invite = request.method == "INVITE"
        self._groups = list(groups)
        self._group = -1
        self._group_deadline: float | None = None
        self._branches: list[Branch] = []
        self._tried: list[Uri] = []
        self._candidates: list[Candidate] = []
        self._stopped = False  # §16.7 step 5 (6xx), step 10 (2xx), §16.10: no new branches
        self._caller_cancelled = False
        self._events: deque[ProxyEvent] = deque()

    # ----- inputs --------------------------------------------------------------------------
    def start(self, now: float) -> None:
        self._enter(ContextInput.START)
        self.state = ContextState.PROCEEDING
        self._progress(now)

    def on_response(self, branch_id: int, response: Response, now: float) -> None:
        """A response on branch `branch_id`, as received (with our Via on top)."""
        self._enter(ContextInput.RESPONSE)
        branch = self._branch(branch_id)
        upstream = copy_response(response)
        upstream.pop_via()
        if not upstream.has("via"):
            return  # §16.7 step 3: meant for this element, not forwarded
        if response.status < 200:
            self._provisional(branch, upstream, now)
        elif branch.pending:
            self._final(branch, upstream, local=False, now=now)
        elif response.status < 300 and self.invite:
            self._emit(SendUpstream(upstream))  # RFC 6026 §7.2: each 2xx of a fork reaches the TU
        self._progress(now)

    def on_branch_timeout(self, branch_id: int, now: float) -> None:
        """The branch's Timer B or F fired (§17.1.1.2, §17.1.2.2): as a 408 (cf. §8.1.3.1)."""
        self._enter(ContextInput.BRANCH_TIMEOUT)
        self._local_final(self._branch(branch_id), 408, "Request Timeout", now)

    def on_transport_error(self, branch_id: int, now: float) -> None:
        """§16.9: a transport error on a branch is a locally generated 503."""
        self._enter(ContextInput.TRANSPORT_ERROR)
        self._local_final(self._branch(branch_id), 503, "Service Unavailable", now)

    def on_cancel(self, now: float) -> None:
        """§16.10: the caller's CANCEL. Every pending branch is cancelled, no branch is added,
        and once they are all over a 487 goes up. Non-INVITE requests are not cancelled."""
        self._enter(ContextInput.CANCEL)
        if not self.invite or self.state is not ContextState.PROCEEDING:
            return
        self._caller_cancelled = True
        self._stop()
        self._cancel_pending(CancelReason.CALLER, now)
        self._progress(now)

    def on_timeout(self, now: float) -> None:
        """Timer C, the wait after a CANCEL, and a group's timeout, whichever are due."""
        self._enter(ContextInput.TIMEOUT)
        for branch in list(self._branches):
            self._branch_timers(branch, now)
        if self._group_deadline is not None and now >= self._group_deadline:
            self._group_timed_out(now)
        self._progress(now)

    def next_deadline(self) -> float | None:
        deadlines = [d for branch in self._branches for d in branch.deadlines()]
        if self._group_deadline is not None:
            deadlines.append(self._group_deadline)
        return min(deadlines, default=None)

    def next_event(self) -> ProxyEvent | None:
        return self._events.popleft() if self._events else None

    @property
    def pending_branches(self) -> list[int]:
        return [b.branch_id for b in self._branches if b.pending]

    # ----- branches ------------------------------------------------------------------------
    def _enter(self, what: ContextInput) -> None:
        if not allowed(self.state, what):
            raise LocalError(f"{what.value} in state {self.state.value}")

    def _branch(self, branch_id: int) -> Branch:
        if not 0 <= branch_id < len(self._branches):
            raise LocalError(f"no branch {branch_id}")
        return self._branches[branch_id]

    def _emit(self, event: ProxyEvent) -> None:
        self._events.append(event)

    def _provisional(self, branch: Branch, upstream: Response, now: float) -> None:
        """§16.7 step 2 (Timer C reset by 101-199), step 5 (forward all but 100), §9.1 (a
        CANCEL waits for the first provisional)."""
        if not branch.pending:
            return
        branch.state = BranchState.PROCEEDING
        if self.invite and upstream.status > 100 and branch.cancel is None:
            branch.timer_c = now + self.config.timer_c
        if branch.cancel is not None and not branch.cancel_sent:
            self._send_cancel(branch, now)
        forward = self.state is ContextState.PROCEEDING and not self._caller_cancelled
        if upstream.status > 100 and forward:
            self._emit(SendUpstream(upstream))

    def _final(self, branch: Branch, upstream: Response, *, local: bool, now: float) -> None:
        branch.complete()
        status = upstream.status
        if 200 <= status < 300:
            self._success(upstream, now)
            return
        if branch.ended_by_us and status == 487:
            upstream, local = build_response(self.request, 408, "Request Timeout"), True
        if 300 <= status < 400 and self._recurse(upstream):
            return
        self._candidates.append(Candidate(upstream, local, len(self._candidates)))
        if status >= 600:
            self._stop()  # §16.7 step 5
            self._cancel_pending(CancelReason.GLOBAL_FAILURE, now)

    def _local_final(self, branch: Branch, status: int, reason: str, now: float) -> None:
        if branch.pending:
            response = build_response(self.request, status, reason)
            self._final(branch, response, local=True, now=now)
        self._progress(now)

    def _success(self, upstream: Response, now: float) -> None:
        """§16.7 step 5: a 2xx goes up at once; step 10: the other branches are cancelled."""
        if self.state is ContextState.PROCEEDING:
            self.state = ContextState.ACCEPTED
            self._stop()
            self._cancel_pending(CancelReason.ANSWERED, now)
        elif not self.invite:
            return  # a non-INVITE gets one final response
        self._emit(SendUpstream(upstream))

    def _recurse(self, response: Response) -> bool:
        """§16.7 step 4: True when every Contact was recursed on (the 3xx is not kept)."""
        if not self.config.recurse_on_3xx or self._stopped:
            return False
        targets, kept = redirect_targets(response, self._tried, self.config.allowed_schemes)
        if not targets:
            return False
        at = self._group + 1  # recursion comes before the groups not started yet
        self._groups[at:at] = groups_by_q(targets)
        keep_contacts(response, kept)
        return not kept

    def _stop(self) -> None:
        """No new branch from now on (§16.7 steps 5 and 10, §16.10): no group timeout either."""
        self._stopped = True
        self._group_deadline = None

    def _cancel_pending(self, reason: CancelReason, now: float) -> None:
        for branch in self._branches:
            if branch.pending and branch.cancel is None:
                self._cancel(branch, reason, now)

    def _cancel(self, branch: Branch, reason: CancelReason, now: float) -> None:
        """§16.10 / §9.1: CANCEL only an INVITE, and only after a provisional response."""
        branch.cancel = reason
        if self.invite and branch.state is BranchState.PROCEEDING:
            self._send_cancel(branch, now)

    def _send_cancel(self, branch: Branch, now: float) -> None:
        branch.cancel_sent = True
        branch.timer_c = None
        branch.cancel_deadline = now + self.config.cancel_timeout
        self._emit(CancelBranch(branch.branch_id))

    # ----- timers --------------------------------------------------------------------------
    def _branch_timers(self, branch: Branch, now: float) -> None:
        """§16.8: Timer C with a provisional -> CANCEL, without -> as a 408. §9.1:
        64*T1 after our CANCEL without a final -> the branch is over (a local 487)."""
        if not branch.pending:
            return
        if branch.timer_c is not None and now >= branch.timer_c:
            branch.timer_c = None
            if branch.state is BranchState.PROCEEDING:
                self._cancel(branch, CancelReason.TIMER_C, now)
            else:
                self._final(branch, no_response(self.request), local=True, now=now)
        elif branch.cancel_deadline is not None and now >= branch.cancel_deadline:
            response = build_response(self.request, 487, "Request Terminated")
            self._final(branch, response, local=True, now=now)

    def _group_timed_out(self, now: float) -> None:
        """The TargetGroup's timeout: cancel what is left of it and go on to the next group."""
        self._group_deadline = None
        for branch in self._branches:
            if branch.group == self._group and branch.pending and branch.cancel is None:
                self._cancel(branch, CancelReason.NO_ANSWER, now)
        if self.state is ContextState.PROCEEDING and not self._stopped:
            self._next_group(now)

    # ----- progress ------------------------------------------------------------------------
    def _progress(self, now: float) -> None:
        if self.state is ContextState.TERMINATED:
            return
        proceeding = self.state is ContextState.PROCEEDING and not self._stopped
        if proceeding and not self._group_pending() and self._next_group(now):
            return
        if any(b.pending for b in self._branches):
            return
        if self.state is ContextState.PROCEEDING and not self._failure_groups(now):
            self._send_final()
        if self.state is not ContextState.PROCEEDING:
            self.state = ContextState.TERMINATED
            self._emit(Finished())

    def _group_pending(self) -> bool:
        return any(b.pending and b.group == self._group for b in self._branches)

    def _next_group(self, now: float) -> bool:
        """Start the next group that yields at least one branch; False when none is left."""
        self._group_deadline = None
        while self._group + 1 < len(self._groups):
            self._group += 1
            group = self._groups[self._group]
            if self._fork(group, now):
                if group.timeout is not None:
                    self._group_deadline = now + group.timeout
                return True
        return False

    def _fork(self, group: TargetGroup, now: float) -> int:
        """ForwardBranch for each target not tried yet (§16.5: a URI is in the target set
        once), up to `max_branches` in all; Timer C starts for an INVITE (§16.6 step 11)."""
        started = 0
        for target in group.targets:
            uri = _parsed(target.uri)
            if uri is None or uri in self._tried or len(self._branches) >= self.config.max_branches:
                continue
            self._tried.append(uri)
            branch = Branch(len(self._branches), target, self._group)
            if self.invite:
                branch.timer_c = now + self.config.timer_c
            self._branches.append(branch)
            started += 1
            self._emit(ForwardBranch(branch.branch_id, target, self._group))
        return started

    def _failure_groups(self, now: float) -> bool:
        """`on_failure` (call forwarding on busy) may add groups; True when one started.

        Consulted after a 6xx too: §16.7 step 5 stops the search for the callee's other
        locations, but forwarding a 600 Busy Everywhere is the callee's own policy (issue #5:
        "on busy 486/600"). Never after the caller's CANCEL (§16.10)."""
        if self.on_failure is None or self._caller_cancelled or not self._candidates:
            return False
        groups = self.on_failure(self._best())
        if not groups:
            return False
        self._groups.extend(groups)
        self._stopped = False
        return self._next_group(now)

    def _best(self) -> Response:
        best = choose(self._candidates)
        if best.response.status in (401, 407):
            return aggregate(self._candidates) or best.response
        return best.response

    def _send_final(self) -> None:
        """§16.7 step 6-8 (and §16.10 after the caller's CANCEL, §16.5 for no target)."""
        if self._caller_cancelled:
            response = build_response(self.request, 487, "Request Terminated")
        elif self._candidates:
            response = without_503(self.request, self._best())
        elif not self._branches:
            response = build_response(self.request, 480, "Temporarily Unavailable")
        else:
            response = no_response(self.request)
        self.state = ContextState.COMPLETED
        self._emit(SendUpstream(response))


def _parsed(text: str) -> Uri | None:
    """A target's URI, or None when it does not parse (such a target is skipped)."""
    try:
        return parse_uri(text)
    except ParseError:
        return None
