"""plan(): registered contacts by q, the four forwarding kinds, the fallback, hops and splice."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sipwarden.location.binding import Binding
from sipwarden.proxy.forwarding import (
    LOOP,
    UNAVAILABLE,
    Plan,
    forward_uris,
    is_forward,
    plan,
    registered_groups,
    splice,
)
from sipwarden.proxy.targets import Target, TargetGroup
from sipwarden.sip import Request, Response, build_response, parse_message
from sipwarden.users.forwarding import Forwarding

AOR = "sip:alice@example.com"
VM = "sip:vm@example.com"
MOBILE = "tel:+15550100"
BOB = "sip:bob@example.com"


def binding(contact: str, q: float | None = None, registered_at: float = 0.0) -> Binding:
    return Binding(
        aor=AOR,
        contact=contact,
        expires_at=2e9,
        q=q,
        path=(f"<sip:edge.example.com;lr;c={contact[-1]}>",),
        source=f"udp:192.0.2.{contact[-1]}:5060",
        registered_at=registered_at,
    )


DESK = binding("sip:alice@192.0.2.1", q=1.0)
SOFT = binding("sip:alice@192.0.2.2")  # no q: ranks as 1.0
CELL = binding("sip:alice@192.0.2.3", q=0.5)


def invite() -> Request:
    wire = (
        "INVITE sip:alice@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:carol@example.org>;tag=c1\r\n"
        "To: <sip:alice@example.com>\r\n"
        "Call-ID: call-1\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(wire.encode())
    assert isinstance(message, Request)
    return message


def response(status: int) -> Response:
    return build_response(invite(), status)


def forward(uri: str, reason: str, timeout: float | None = None) -> TargetGroup:
    return TargetGroup((Target(uri=uri, reason=reason),), timeout)


def test_registered_contacts_are_grouped_by_q_highest_first() -> None:
    result = plan("alice", "example.com", [CELL, SOFT, DESK], None)
    assert result.reply is None
    assert result.on_failure is None
    assert [[t.uri for t in g.targets] for g in result.groups] == [
        [DESK.contact, SOFT.contact],
        [CELL.contact],
    ]
    assert [g.timeout for g in result.groups] == [None, None]


def test_targets_carry_path_source_q_and_reason() -> None:
    (group,) = plan("alice", "example.com", [CELL], None).groups
    assert group.targets == (
        Target(
            uri=CELL.contact,
            path=CELL.path,
            q=0.5,
            source="udp:192.0.2.3:5060",
            connection=None,
            reason="registered",
        ),
    )


def test_same_q_most_recent_first() -> None:
    old = binding("sip:alice@192.0.2.4", registered_at=10.0)
    new = binding("sip:alice@192.0.2.5", registered_at=20.0)
    (group,) = registered_groups([old, new])
    assert [t.uri for t in group.targets] == [new.contact, old.contact]


def test_no_bindings_no_forwarding_is_480() -> None:
    assert plan("alice", "example.com", [], None) == Plan(reply=UNAVAILABLE)
    assert UNAVAILABLE == (480, "Temporarily Unavailable")
    assert plan("alice", "example.com", [], Forwarding(busy=VM)).reply == UNAVAILABLE


def test_always_replaces_the_contacts() -> None:
    result = plan("alice", "example.com", [DESK, CELL], Forwarding(always=MOBILE, busy=VM))
    assert result == Plan([forward(MOBILE, "forward-always")], forwards=(MOBILE,))


def test_always_applies_when_not_registered_too() -> None:
    result = plan("alice", "example.com", [], Forwarding(always=MOBILE, unregistered=VM))
    assert result.groups == [forward(MOBILE, "forward-always")]


def test_unregistered_target() -> None:
    result = plan("alice", "example.com", [], Forwarding(unregistered=VM, no_answer=MOBILE))
    assert result == Plan([forward(VM, "forward-unregistered")], forwards=(VM,))


def test_unregistered_ignored_when_registered() -> None:
    result = plan("alice", "example.com", [DESK], Forwarding(unregistered=VM))
    assert result.groups == [TargetGroup(result.groups[0].targets)]
    assert result.on_failure is None


def test_no_answer_sets_the_last_groups_timeout() -> None:
    forwarding = Forwarding(no_answer=VM, no_answer_after=15)
    result = plan("alice", "example.com", [DESK, CELL], forwarding)
    assert [g.timeout for g in result.groups] == [None, 15.0]
    assert result.on_failure is not None
    assert result.on_failure(response(487)) == [forward(VM, "forward-no-answer")]


@pytest.mark.parametrize("status", [408, 480, 487, 500, 503])
def test_no_answer_statuses(status: int) -> None:
    on_failure = plan("alice", "example.com", [DESK], Forwarding(no_answer=VM)).on_failure
    assert on_failure is not None
    assert on_failure(response(status)) == [forward(VM, "forward-no-answer")]


@pytest.mark.parametrize("status", [486, 600])
def test_busy(status: int) -> None:
    forwarding = Forwarding(busy=VM, no_answer=MOBILE)
    on_failure = plan("alice", "example.com", [DESK], forwarding).on_failure
    assert on_failure is not None
    assert on_failure(response(status)) == [forward(VM, "forward-busy")]


def test_busy_without_busy_target_is_not_no_answer() -> None:
    on_failure = plan("alice", "example.com", [DESK], Forwarding(no_answer=VM)).on_failure
    assert on_failure is not None
    assert on_failure(response(486)) == []


@pytest.mark.parametrize("status", [401, 403, 404, 407, 488, 603, 604, 606, 302])
def test_other_failures_are_not_forwarded(status: int) -> None:
    forwarding = Forwarding(busy=VM, no_answer=MOBILE)
    on_failure = plan("alice", "example.com", [DESK], forwarding).on_failure
    assert on_failure is not None
    assert on_failure(response(status)) == []


def test_no_answer_timeout_only_with_a_no_answer_target() -> None:
    result = plan("alice", "example.com", [DESK], Forwarding(busy=VM, no_answer_after=5))
    assert [g.timeout for g in result.groups] == [None]


def test_fallback_fires_once() -> None:
    on_failure = plan("alice", "example.com", [DESK], Forwarding(busy=VM)).on_failure
    assert on_failure is not None
    assert on_failure(response(486)) == [forward(VM, "forward-busy")]
    assert on_failure(response(486)) == []


def test_fallback_is_per_plan() -> None:
    forwarding = Forwarding(busy=VM)
    first = plan("alice", "example.com", [DESK], forwarding).on_failure
    second = plan("alice", "example.com", [DESK], forwarding).on_failure
    assert first is not None and second is not None
    assert first(response(486)) and second(response(486))


def test_a_status_without_a_group_does_not_use_up_the_fallback() -> None:
    on_failure = plan("alice", "example.com", [DESK], Forwarding(busy=VM)).on_failure
    assert on_failure is not None
    assert on_failure(response(404)) == []
    assert on_failure(response(600)) == [forward(VM, "forward-busy")]


def test_bare_users_in_a_hand_built_forwarding_are_expanded() -> None:
    result = plan("alice", "Example.com", [], Forwarding(unregistered="bob"))
    assert result.groups[0].targets[0].uri == "sip:bob@Example.com"
    assert result.forwards == ("sip:bob@Example.com",)
    ipv6 = plan("alice", "2001:db8::1", [DESK], Forwarding(busy="bob", no_answer="carol@x.example"))
    assert ipv6.forwards == ("sip:bob@[2001:db8::1]", "sip:carol@x.example")


def test_forward_uris_lists_each_target_once() -> None:
    forwarding = Forwarding(always=VM, busy=MOBILE, no_answer=VM, unregistered="bob")
    assert forward_uris(forwarding, "example.com") == [VM, MOBILE, BOB]
    assert forward_uris(None, "example.com") == []


def test_forwards_are_the_targets_the_plan_may_use() -> None:
    every = Forwarding(always=VM, busy=MOBILE, no_answer=VM, unregistered=MOBILE)
    assert plan("alice", "example.com", [DESK], every).forwards == (VM,)
    fallback = Forwarding(busy=MOBILE, no_answer=VM, unregistered=BOB)
    assert plan("alice", "example.com", [DESK], fallback).forwards == (MOBILE, VM)
    assert plan("alice", "example.com", [], fallback).forwards == (BOB,)
    same = Forwarding(busy=VM, no_answer=VM)
    assert plan("alice", "example.com", [DESK], same).forwards == (VM,)
    assert plan("alice", "example.com", [DESK], None).forwards == ()
    assert plan("alice", "example.com", [], None).forwards == ()
    assert plan("alice", "example.com", [DESK], every, hops=5).forwards == ()
    assert plan("alice", "example.com", [DESK], fallback, hops=5).forwards == ()


def test_is_forward() -> None:
    assert is_forward(Target(VM, reason="forward-busy"))
    assert not is_forward(Target(VM))


# --- hops: a chain of forwarding between local users ends at max_hops ---------------------------


def test_at_the_limit_always_is_a_loop() -> None:
    result = plan("alice", "example.com", [DESK], Forwarding(always=VM), hops=5)
    assert result == Plan(reply=LOOP)
    assert LOOP == (482, "Loop Detected")
    assert plan("alice", "example.com", [DESK], Forwarding(always=VM), hops=4).groups


def test_at_the_limit_unregistered_is_a_loop() -> None:
    result = plan("alice", "example.com", [], Forwarding(unregistered=VM), hops=2, max_hops=2)
    assert result.reply == LOOP


def test_at_the_limit_the_phones_still_ring_without_fallback() -> None:
    forwarding = Forwarding(busy=VM, no_answer=MOBILE)
    result = plan("alice", "example.com", [DESK, CELL], forwarding, hops=1, max_hops=1)
    assert result.on_failure is None
    assert [g.timeout for g in result.groups] == [None, None]
    assert plan("alice", "example.com", [], forwarding, hops=1, max_hops=1).reply == UNAVAILABLE


def test_no_forwarding_ignores_hops() -> None:
    assert plan("alice", "example.com", [DESK], None, hops=9).groups


# --- splice: local forward targets replaced by the local user's own plan ------------------------

BOB_PHONE = TargetGroup((Target("sip:bob@192.0.2.9", reason="registered"),))


def test_splice_always_takes_the_inner_plan() -> None:
    outer = plan("alice", "example.com", [DESK], Forwarding(always=BOB))
    inner = Plan([BOB_PHONE])
    assert splice(outer, {BOB: inner}) is inner


def test_splice_inner_reply_replaces_the_plan() -> None:
    outer = plan("alice", "example.com", [], Forwarding(unregistered=BOB))
    assert splice(outer, {BOB: Plan(reply=UNAVAILABLE)}).reply == UNAVAILABLE


def test_splice_leaves_other_targets() -> None:
    outer = plan("alice", "example.com", [], Forwarding(unregistered=MOBILE))
    assert splice(outer, {BOB: Plan([BOB_PHONE])}) is outer
    registered = plan("alice", "example.com", [DESK], None)
    assert splice(registered, {DESK.contact: Plan([BOB_PHONE])}) is registered


def test_splice_fallback_uses_the_inner_groups_then_the_inner_fallback() -> None:
    outer = plan("alice", "example.com", [DESK], Forwarding(busy=BOB))
    inner = plan("bob", "example.com", [binding("sip:bob@192.0.2.9")], Forwarding(busy=VM), hops=1)
    spliced = splice(outer, {BOB: inner})
    assert spliced.groups == outer.groups
    assert spliced.on_failure is not None
    assert spliced.on_failure(response(486)) == inner.groups
    assert spliced.on_failure(response(486)) == [forward(VM, "forward-busy")]
    assert spliced.on_failure(response(486)) == []


def test_splice_fallback_to_an_unavailable_local_user_is_dropped() -> None:
    outer = plan("alice", "example.com", [DESK], Forwarding(no_answer=BOB))
    spliced = splice(outer, {BOB: Plan(reply=UNAVAILABLE)})
    assert spliced.on_failure is not None
    assert spliced.on_failure(response(408)) == []


def test_splice_fallback_to_a_remote_target_is_kept() -> None:
    outer = plan("alice", "example.com", [DESK], Forwarding(busy=MOBILE))
    spliced = splice(outer, {BOB: Plan([BOB_PHONE])})
    assert spliced.on_failure is not None
    assert spliced.on_failure(response(486)) == [forward(MOBILE, "forward-busy")]


def test_a_loop_between_two_users_ends_in_482() -> None:
    """alice -> bob -> alice -> ... resolved the way the proxy does it, bottom up."""
    table = {
        ("alice", "example.com"): Forwarding(always=BOB),
        ("bob", "example.com"): Forwarding(always=AOR),
    }

    lookups = []

    def resolve(user: str, hops: int) -> Plan:
        lookups.append(user)
        outer = plan(user, "example.com", [], table[user, "example.com"], hops=hops)
        local = {uri: resolve(uri[4:].partition("@")[0], hops + 1) for uri in outer.forwards}
        return splice(outer, local)

    assert resolve("alice", 0).reply == LOOP
    assert lookups == ["alice", "bob", "alice", "bob", "alice", "bob"]


def test_planner_is_pure() -> None:
    code = (
        "import sys, json\n"
        "for name in ('asyncio', 'socket', 'time', 'sqlite3'): sys.modules.pop(name, None)\n"
        "import sipwarden.proxy.forwarding, sipwarden.proxy.redirect\n"
        "print(json.dumps(sorted(n for n in ('asyncio', 'socket', 'time', 'sqlite3')"
        " if n in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
