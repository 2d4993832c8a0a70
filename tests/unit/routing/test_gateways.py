"""Gateway groups: each selection algorithm, failover order and failover statuses."""

from __future__ import annotations

import random
from collections import Counter

from sipwarden.routing import Destination, GatewayGroup, Selection, SelectionState
from sipwarden.routing.gateways import Failover

from .conftest import Compile

A = Destination("g", "sip:a.example.net", weight=1, priority=2)
B = Destination("g", "sip:b.example.net", weight=3, priority=1)
C = Destination("g", "sip:c.example.net;transport=tcp", weight=6, priority=3)


def group(selection: Selection) -> GatewayGroup:
    return GatewayGroup("g", (A, B, C), selection)


def state(down: tuple[Destination, ...] = (), seed: int = 1) -> SelectionState:
    return SelectionState(lambda d: d not in down, random.Random(seed).random)


def test_round_robin_starts_one_further_each_call() -> None:
    g, s = group(Selection.ROUND_ROBIN), state()
    assert [g.order("x", None, s) for _ in range(4)] == [
        [A, B, C],
        [B, C, A],
        [C, A, B],
        [A, B, C],
    ]


def test_round_robin_skips_down_destinations_without_moving_the_others() -> None:
    g, s = group(Selection.ROUND_ROBIN), state(down=(B,))
    assert [g.order("x", None, s) for _ in range(3)] == [[A, C], [C, A], [C, A]]


def test_priority_lowest_first_ties_in_list_order() -> None:
    tie = Destination("g", "sip:d.example.net", priority=1)
    g = GatewayGroup("g", (A, B, C, tie), Selection.PRIORITY)
    assert g.order("x", None, state()) == [B, tie, A, C]
    assert g.order("x", None, state(down=(B,))) == [tie, A, C]


def test_hash_call_id_is_stable_per_call() -> None:
    g = group(Selection.HASH_CALL_ID)
    first = g.order("call-1@host", None, state())
    assert all(g.order("call-1@host", None, state()) == first for _ in range(5))
    starts = {g.order(f"call-{n}@host", None, state())[0] for n in range(30)}
    assert starts == {A, B, C}
    assert sorted(first, key=lambda d: d.uri) == [A, B, C]  # every destination, as failover


def test_hash_from_keeps_a_caller_on_its_gateway_while_it_is_up() -> None:
    g = group(Selection.HASH_FROM)
    first = g.order("c1", "alice", state())
    assert g.order("c2", "alice", state()) == first
    without = g.order("c3", "alice", state(down=(first[0],)))
    assert without == first[1:]


def test_weighted_follows_the_weights_with_a_seeded_random() -> None:
    g, s = group(Selection.WEIGHTED), state(seed=42)
    firsts = Counter(g.order("x", None, s)[0] for _ in range(10000))
    assert abs(firsts[A] / 10000 - 0.1) < 0.02
    assert abs(firsts[B] / 10000 - 0.3) < 0.02
    assert abs(firsts[C] / 10000 - 0.6) < 0.02


def test_weighted_is_deterministic_for_a_given_sequence() -> None:
    values = iter([0.05, 0.0])  # 0.05 * 10 = 0.5 < 1: A; then 0 of B+C: B
    s = SelectionState(lambda d: True, lambda: next(values))
    assert group(Selection.WEIGHTED).order("x", None, s) == [A, B, C]
    values2 = iter([0.99, 0.9])  # C (last), then 0.9 * 4 = 3.6 >= 1: B
    s2 = SelectionState(lambda d: True, lambda: next(values2))
    assert group(Selection.WEIGHTED).order("x", None, s2) == [C, B, A]


def test_weighted_only_among_destinations_up() -> None:
    g = group(Selection.WEIGHTED)
    assert g.order("x", None, state(down=(A, C))) == [B]


def test_every_destination_down_gives_an_empty_list() -> None:
    assert group(Selection.PRIORITY).order("x", None, state(down=(A, B, C))) == []


def test_failover_statuses() -> None:
    default = Failover()
    assert default.on_status(408) and default.on_status(503) and default.on_status(599)
    assert not default.on_status(404) and not default.on_status(486)
    assert default.transport_error and default.timeout


def test_target_for_puts_the_user_on_the_gateway() -> None:
    assert C.target_for("sip:+4930123@example.com") == "sip:+4930123@c.example.net;transport=tcp"
    assert A.target_for("tel:+4930123") == "sip:+4930123@a.example.net"
    assert A.target_for("sip:example.com") == "sip:a.example.net"


def test_gateway_group_from_the_config(compile_text: Compile) -> None:
    routing = compile_text(
        "[gateways.pstn]\n"
        'select = "weighted"\n'
        'failover = [408, 486, "5xx", "timeout"]\n'
        "probe = { interval = 10, down_after = 2, up_after = 1 }\n"
        "destinations = [\n"
        '  { uri = "sip:gw1.example.net", weight = 2, priority = 1 },\n'
        '  "sip:gw2.example.net",\n'
        "]\n"
    )
    pstn = routing.gateways["pstn"]
    assert pstn.selection is Selection.WEIGHTED
    assert pstn.destinations == (
        Destination("pstn", "sip:gw1.example.net", 2, 1),
        Destination("pstn", "sip:gw2.example.net", 1, 0),
    )
    assert pstn.failover.on_status(486) and pstn.failover.on_status(502)
    assert not pstn.failover.on_status(404)
    assert pstn.failover.timeout and not pstn.failover.transport_error
    assert (pstn.probing.interval, pstn.probing.down_after, pstn.probing.up_after) == (10, 2, 1)
    assert pstn.line == 1


def test_gateway_group_defaults(compile_text: Compile) -> None:
    routing = compile_text('[gateways.pstn]\ndestinations = ["sip:gw1.example.net"]\n')
    pstn = routing.gateways["pstn"]
    assert pstn.selection is Selection.ROUND_ROBIN
    assert pstn.failover == Failover()
    assert (pstn.probing.interval, pstn.probing.down_after, pstn.probing.up_after) == (30, 3, 2)
