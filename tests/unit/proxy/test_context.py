"""The §16.7 response context: forwarding, forking, Timer C, CANCEL, best response."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError
from sipwarden.proxy import (
    CancelBranch,
    ContextInput,
    ContextState,
    Finished,
    ForwardBranch,
    ProxyConfig,
    ProxyEvent,
    ResponseContext,
    SendUpstream,
    Target,
    TargetGroup,
)
from sipwarden.proxy.context import TABLE, OnFailure, allowed
from sipwarden.sip import Request, Response

from .helpers import downstream, drain, kinds, make_request, reply, with_our_via

A = Target("sip:bob@10.0.0.1")
B = Target("sip:bob@10.0.0.2")
C = Target("sip:bob@10.0.0.3")
CONFIG = ProxyConfig()


def started(
    *groups: TargetGroup,
    method: str = "INVITE",
    config: ProxyConfig = CONFIG,
    on_failure: OnFailure | None = None,
) -> tuple[ResponseContext, Request]:
    request = make_request(method)
    context = ResponseContext(request, list(groups), config, 0.0, on_failure)
    context.start(0.0)
    return context, request


def parallel(*targets: Target, timeout: float | None = None) -> TargetGroup:
    return TargetGroup(targets, timeout)


def upstream(events: list[ProxyEvent]) -> list[int]:
    return [e.response.status for e in events if isinstance(e, SendUpstream)]


def test_start_forwards_to_every_target_of_the_first_group() -> None:
    context, _ = started(parallel(A, B), parallel(C))
    assert drain(context) == [ForwardBranch(0, A, 0), ForwardBranch(1, B, 0)]
    assert context.state is ContextState.PROCEEDING


def test_100_is_not_forwarded_180_is_with_our_via_removed() -> None:
    context, request = started(parallel(A))
    drain(context)
    reply(context, request, 0, 100, 1.0)
    assert drain(context) == []
    reply(context, request, 0, 180, 2.0)
    (event,) = drain(context)
    assert isinstance(event, SendUpstream)
    assert event.response.values("via") == request.values("via")


def test_a_response_meant_for_us_is_not_forwarded() -> None:
    context, request = started(parallel(A))
    drain(context)
    response = downstream(request, 180)
    response.remove_header("via")
    response.add_header("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKsw1.0")
    context.on_response(0, response, 1.0)
    assert drain(context) == []


def test_every_2xx_goes_up_at_once_and_the_other_branches_are_cancelled() -> None:
    context, request = started(parallel(A, B, C))
    drain(context)
    reply(context, request, 1, 180, 1.0)
    reply(context, request, 2, 180, 1.0)
    drain(context)
    reply(context, request, 0, 200, 2.0)
    events = drain(context)
    assert upstream(events) == [200]
    assert [e for e in events if isinstance(e, CancelBranch)] == [CancelBranch(1), CancelBranch(2)]
    assert context.state is ContextState.ACCEPTED
    reply(context, request, 1, 200, 3.0)  # the callee answered before our CANCEL got there
    assert upstream(drain(context)) == [200]
    reply(context, request, 2, 487, 3.0)
    assert drain(context) == [Finished()]


def test_a_2xx_after_finished_from_another_fork_still_goes_up() -> None:
    context, request = started(parallel(A))
    drain(context)
    reply(context, request, 0, 200, 1.0)
    assert kinds(drain(context)) == ["SendUpstream", "Finished"]
    reply(context, request, 0, 200, 2.0, to_tag="other-fork")
    assert upstream(drain(context)) == [200]


def test_6xx_cancels_the_pending_branches_and_goes_up_when_they_end() -> None:
    context, request = started(parallel(A, B), parallel(C))
    drain(context)
    reply(context, request, 1, 180, 1.0)
    drain(context)
    reply(context, request, 0, 603, 2.0)
    assert drain(context) == [CancelBranch(1)]  # not forwarded at once (§16.7 step 5)
    reply(context, request, 1, 487, 3.0)
    events = drain(context)
    assert upstream(events) == [603]
    assert kinds(events) == ["SendUpstream", "Finished"]  # group C never started


def test_caller_cancel_cancels_every_pending_branch_then_487_goes_up() -> None:
    context, request = started(parallel(A, B))
    drain(context)
    reply(context, request, 0, 180, 1.0)
    drain(context)
    context.on_cancel(2.0)
    assert drain(context) == [CancelBranch(0)]  # B has no provisional yet (§9.1)
    reply(context, request, 1, 180, 3.0)
    assert drain(context) == [CancelBranch(1)]  # sent now, and the 180 is not forwarded
    reply(context, request, 0, 487, 4.0)
    reply(context, request, 1, 487, 4.0)
    events = drain(context)
    assert upstream(events) == [487]
    assert kinds(events) == ["SendUpstream", "Finished"]


def test_timer_c_is_three_minutes_per_invite_branch() -> None:
    context, _ = started(parallel(A))
    drain(context)
    assert context.next_deadline() == 180.0
    context.on_timeout(179.999)
    assert drain(context) == []


def test_timer_c_without_a_provisional_acts_as_a_408() -> None:
    context, _ = started(parallel(A))
    drain(context)
    context.on_timeout(180.0)
    events = drain(context)
    assert upstream(events) == [408]
    assert kinds(events) == ["SendUpstream", "Finished"]


def test_timer_c_is_reset_by_101_to_199_not_by_100() -> None:
    context, request = started(parallel(A))
    drain(context)
    reply(context, request, 0, 100, 10.0)
    assert context.next_deadline() == 180.0
    reply(context, request, 0, 183, 20.0)
    assert context.next_deadline() == 200.0


def test_timer_c_with_a_provisional_cancels_the_branch() -> None:
    context, request = started(parallel(A))
    drain(context)
    reply(context, request, 0, 180, 5.0)
    drain(context)
    context.on_timeout(185.0)
    assert drain(context) == [CancelBranch(0)]
    assert context.next_deadline() == 185.0 + 32.0  # §9.1: 64*T1 for the 487
    reply(context, request, 0, 487, 186.0)
    assert upstream(drain(context)) == [408]  # nobody answered: 408, not 487


def test_a_cancelled_branch_without_final_ends_after_64_t1() -> None:
    context, request = started(parallel(A))
    drain(context)
    reply(context, request, 0, 180, 0.0)
    context.on_cancel(1.0)
    drain(context)
    context.on_timeout(32.999)
    assert drain(context) == []
    context.on_timeout(33.0)
    assert upstream(drain(context)) == [487]


def test_configured_timer_c() -> None:
    context, _ = started(parallel(A), config=ProxyConfig(timer_c=300.0))
    assert context.next_deadline() == 300.0


def test_non_invite_has_no_timer_c_and_its_timeout_is_408() -> None:
    context, _ = started(parallel(A), method="MESSAGE")
    drain(context)
    assert context.next_deadline() is None
    context.on_branch_timeout(0, 32.0)
    assert upstream(drain(context)) == [408]


def test_group_timeout_cancels_the_group_and_starts_the_next() -> None:
    context, request = started(parallel(A, timeout=20.0), parallel(B))
    drain(context)
    reply(context, request, 0, 180, 1.0)
    drain(context)
    assert context.next_deadline() == 20.0
    context.on_timeout(20.0)
    assert drain(context) == [CancelBranch(0), ForwardBranch(1, B, 1)]
    reply(context, request, 0, 487, 21.0)
    reply(context, request, 1, 486, 22.0)
    assert upstream(drain(context)) == [486]


def test_group_timeout_without_provisional_cancels_when_one_arrives() -> None:
    context, request = started(parallel(A, timeout=20.0), parallel(B))
    drain(context)
    context.on_timeout(20.0)
    assert drain(context) == [ForwardBranch(1, B, 1)]
    reply(context, request, 0, 180, 21.0)
    assert drain(context) == [CancelBranch(0), SendUpstream(drain_one(context, request))]


def drain_one(context: ResponseContext, request: Request) -> Response:
    """The 180 the previous call forwarded (a provisional still goes up)."""
    response = downstream(with_our_via(request, 0), 180, to_tag="t0")
    response.pop_via()
    return response


def test_serial_forking_next_group_after_all_failed() -> None:
    context, request = started(parallel(A, B), parallel(C))
    drain(context)
    reply(context, request, 0, 486, 1.0)
    assert drain(context) == []
    reply(context, request, 1, 480, 2.0)
    assert drain(context) == [ForwardBranch(2, C, 1)]
    reply(context, request, 2, 200, 3.0)
    assert kinds(drain(context)) == ["SendUpstream", "Finished"]


def test_3xx_recursion_adds_the_contacts() -> None:
    context, request = started(parallel(A), parallel(C))
    drain(context)
    contact = (("Contact", "<sip:carol@10.0.0.9>;q=0.5"),)
    response = downstream(with_our_via(request, 0), 302, headers=contact)
    context.on_response(0, response, 1.0)
    (event,) = drain(context)
    assert isinstance(event, ForwardBranch)
    assert (event.branch_id, event.target.uri, event.target.reason) == (
        1,
        "sip:carol@10.0.0.9",
        "redirect",
    )
    assert event.group_index == 1  # before the group C that was not started yet
    reply(context, request, 1, 200, 2.0)
    assert upstream(drain(context)) == [200]


def test_3xx_without_recursion_goes_up() -> None:
    context, request = started(parallel(A), config=ProxyConfig(recurse_on_3xx=False))
    drain(context)
    contact = (("Contact", "<sip:carol@10.0.0.9>"),)
    context.on_response(0, downstream(with_our_via(request, 0), 302, headers=contact), 1.0)
    events = drain(context)
    assert upstream(events) == [302]


def test_3xx_to_an_already_tried_target_is_not_recursed() -> None:
    context, request = started(parallel(A))
    drain(context)
    contact = (("Contact", f"<{A.uri}>"),)
    context.on_response(0, downstream(with_our_via(request, 0), 301, headers=contact), 1.0)
    assert upstream(drain(context)) == [301]


def test_401_and_407_challenges_are_aggregated() -> None:
    context, request = started(parallel(A, B))
    drain(context)
    www = (("WWW-Authenticate", 'Digest realm="a.example", nonce="1"'),)
    proxy = (("Proxy-Authenticate", 'Digest realm="b.example", nonce="2"'),)
    context.on_response(0, downstream(with_our_via(request, 0), 401, headers=www), 1.0)
    context.on_response(1, downstream(with_our_via(request, 1), 407, headers=proxy), 1.0)
    events = drain(context)
    (final,) = [e.response for e in events if isinstance(e, SendUpstream)]
    assert final.status == 407
    assert final.header_lines("proxy-authenticate") == ['Digest realm="b.example", nonce="2"']
    assert final.header_lines("www-authenticate") == ['Digest realm="a.example", nonce="1"']


def test_transport_error_is_503_which_goes_up_as_500() -> None:
    context, _ = started(parallel(A))
    drain(context)
    context.on_transport_error(0, 0.1)
    assert upstream(drain(context)) == [500]


def test_a_received_503_goes_up_as_500() -> None:
    context, request = started(parallel(A))
    drain(context)
    reply(context, request, 0, 503, 1.0)
    assert upstream(drain(context)) == [500]


@pytest.mark.parametrize(
    ("statuses", "best"),
    [
        ([486, 503], 486),  # lowest class
        ([503, 404], 404),
        ([500, 302], 302),
        ([486, 404], 486),  # same class: the first received
        ([404, 415], 415),  # §16.7 step 6 preference
        ([480, 420], 420),
        ([486, 484], 484),
        ([503, 503], 500),
    ],
)
def test_best_response(statuses: list[int], best: int) -> None:
    targets = [Target(f"sip:bob@10.0.1.{i}") for i in range(len(statuses))]
    config = ProxyConfig(recurse_on_3xx=False)
    context, request = started(parallel(*targets), config=config)
    drain(context)
    for index, status in enumerate(statuses):
        reply(context, request, index, status, 1.0)
    assert upstream(drain(context)) == [best]


def test_6xx_beats_a_lower_class() -> None:
    context, request = started(parallel(A, B))
    drain(context)
    reply(context, request, 0, 404, 1.0)
    reply(context, request, 1, 600, 1.0)
    assert upstream(drain(context)) == [600]


def test_a_received_response_beats_our_own_408() -> None:
    context, request = started(parallel(A, B))
    drain(context)
    context.on_branch_timeout(0, 32.0)
    reply(context, request, 1, 486, 33.0)
    assert upstream(drain(context)) == [486]


def test_on_failure_adds_a_group_before_the_final_answer() -> None:
    seen: list[int] = []
    voicemail = Target("sip:vm@10.0.0.50", reason="forward-busy")

    def on_failure(best: Response) -> list[TargetGroup]:
        seen.append(best.status)
        return [parallel(voicemail)] if best.status == 486 else []

    context, request = started(parallel(A), on_failure=on_failure)
    drain(context)
    reply(context, request, 0, 486, 1.0)
    assert drain(context) == [ForwardBranch(1, voicemail, 1)]
    reply(context, request, 1, 404, 2.0)
    assert upstream(drain(context)) == [486]
    assert seen == [486, 486]


def test_no_target_at_all_is_480() -> None:
    context, _ = started()
    assert kinds(drain(context)) == ["SendUpstream", "Finished"]
    context, _ = started()
    assert upstream(drain(context)) == [480]


def test_max_branches_limits_the_fork() -> None:
    context, _ = started(parallel(A, B, C), config=ProxyConfig(max_branches=2))
    assert kinds(drain(context)) == ["ForwardBranch", "ForwardBranch"]


def test_input_before_start_is_our_bug() -> None:
    context = ResponseContext(make_request(), [parallel(A)], CONFIG, 0.0)
    with pytest.raises(LocalError):
        context.on_cancel(0.0)
    context.start(0.0)
    with pytest.raises(LocalError):
        context.start(0.0)


def test_a_2xx_ends_the_group_timeout_too() -> None:
    context, request = started(parallel(A, timeout=20.0), parallel(B))
    drain(context)
    reply(context, request, 0, 200, 1.0)
    assert kinds(drain(context)) == ["SendUpstream", "Finished"]
    assert context.next_deadline() is None
    assert context.state is ContextState.TERMINATED


def test_the_caller_cancel_stops_serial_forking() -> None:
    context, request = started(parallel(A), parallel(B))
    drain(context)
    reply(context, request, 0, 180, 1.0)
    drain(context)
    context.on_cancel(2.0)
    reply(context, request, 0, 487, 3.0)
    events = drain(context)
    assert CancelBranch(0) in events
    assert upstream(events) == [487]
    assert not [e for e in events if isinstance(e, ForwardBranch)]


def test_non_invite_group_timeout_moves_on_without_cancel() -> None:
    context, request = started(parallel(A, timeout=5.0), parallel(B), method="MESSAGE")
    drain(context)
    reply(context, request, 0, 180, 1.0)
    drain(context)
    context.on_timeout(5.0)
    assert drain(context) == [ForwardBranch(1, B, 1)]  # §9.1: no CANCEL for a non-INVITE
    reply(context, request, 1, 202, 6.0)
    assert upstream(drain(context)) == [202]
    reply(context, request, 0, 200, 7.0)  # one final response only for a non-INVITE
    assert drain(context) == [Finished()]


def test_the_caller_cancel_of_a_non_invite_is_ignored() -> None:
    context, _ = started(parallel(A), method="MESSAGE")
    drain(context)
    context.on_cancel(1.0)
    assert drain(context) == []


@pytest.mark.parametrize("state", list(ContextState))
@pytest.mark.parametrize("what", list(ContextInput))
def test_state_table_covers_every_pair(state: ContextState, what: ContextInput) -> None:
    in_table = TABLE.get((state, what), False)
    if state is ContextState.INIT:
        assert in_table == (what is ContextInput.START)
    else:
        assert in_table == (what is not ContextInput.START)
    assert allowed(state, what) == in_table  # what the context checks, by identity


def redirect(context: ResponseContext, request: Request, branch_id: int, *contacts: str) -> None:
    headers = tuple(("Contact", c) for c in contacts)
    response = downstream(with_our_via(request, branch_id), 302, headers=headers)
    context.on_response(branch_id, response, 1.0)


def test_3xx_recursion_by_q_and_keeps_what_it_cannot_try() -> None:
    context, request = started(parallel(A))
    drain(context)
    redirect(
        context, request, 0,
        "<sip:low@10.0.0.7>;q=0.2", "<tel:+15550100>", "<sip:high@10.0.0.8>;q=0.9",
        "<sip:high@10.0.0.8>", "<sip:bad@10.0.0.9>;q=7",
    )  # fmt: skip
    events = drain(context)
    # serial by q: an unreadable q counts as 1.0; the second sip:high@ is a duplicate
    assert events == [ForwardBranch(1, Target("sip:bad@10.0.0.9", reason="redirect"), 1)]
    reply(context, request, 1, 404, 2.0)
    assert drain(context) == [
        ForwardBranch(2, Target("sip:high@10.0.0.8", q=0.9, reason="redirect"), 2)
    ]
    reply(context, request, 2, 404, 2.0)
    assert drain(context) == [
        ForwardBranch(3, Target("sip:low@10.0.0.7", q=0.2, reason="redirect"), 3)
    ]
    reply(context, request, 3, 404, 3.0)
    (final,) = [e.response for e in drain(context) if isinstance(e, SendUpstream)]
    assert final.status == 302  # 3xx < 4xx, with only the Contact it could not try
    assert final.values("contact") == ["<tel:+15550100>"]


def test_3xx_with_a_wildcard_or_bad_contact_goes_up() -> None:
    context, request = started(parallel(A))
    drain(context)
    redirect(context, request, 0, "<sip:carol@10.0.0.9", "x")
    assert upstream(drain(context)) == [302]


def test_a_target_that_does_not_parse_is_skipped() -> None:
    context, _ = started(parallel(Target("sip:bob@"), A))
    assert drain(context) == [ForwardBranch(0, A, 0)]


def test_pending_branches_and_unknown_branch() -> None:
    context, request = started(parallel(A, B))
    drain(context)
    reply(context, request, 0, 486, 1.0)
    assert context.pending_branches == [1]
    with pytest.raises(LocalError):
        context.on_branch_timeout(5, 1.0)


def test_on_failure_is_consulted_after_a_600_but_not_after_the_callers_cancel() -> None:
    voicemail = Target("sip:vm@10.0.0.50", reason="forward-busy")

    def on_failure(best: Response) -> list[TargetGroup]:
        return [parallel(voicemail)] if best.status in (486, 600) else []

    context, request = started(parallel(A, B), on_failure=on_failure)
    drain(context)
    reply(context, request, 1, 180, 1.0)
    drain(context)
    reply(context, request, 0, 600, 2.0)  # §16.7 step 5: B is cancelled ...
    assert CancelBranch(1) in drain(context)
    reply(context, request, 1, 487, 3.0)  # ... and once it ended, the callee's busy policy runs
    assert drain(context) == [ForwardBranch(2, voicemail, 1)]

    context, request = started(parallel(A), on_failure=on_failure)
    drain(context)
    reply(context, request, 0, 180, 1.0)
    drain(context)
    context.on_cancel(2.0)
    drain(context)
    reply(context, request, 0, 487, 3.0)
    assert upstream(drain(context)) == [487]
