"""Health probing: down after N failures, up after M successes, history, probe schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from sipwarden.routing import Destination, GatewayGroup, Health, HealthTracker, Probing

GW = Destination("pstn", "sip:gw1.example.net")
OTHER = Destination("pstn", "sip:gw2.example.net")
T0 = datetime(2026, 11, 21, 12, 3, 1, tzinfo=UTC).timestamp()


def tracker(down_after: int = 3, up_after: int = 2, interval: float = 3.0) -> HealthTracker:
    group = GatewayGroup("pstn", (GW, OTHER), probing=Probing(interval, down_after, up_after))
    return HealthTracker([group], T0)


def test_down_after_n_failures_with_history_text() -> None:
    health = tracker()
    assert health.probe_result(GW, False, "timed out", T0) is None
    assert health.probe_result(GW, False, "timed out", T0 + 3) is None
    assert health.is_up(GW)
    change = health.probe_result(GW, False, "timed out", T0 + 6)
    assert change is not None and change.state is Health.DOWN
    assert str(change) == "down at 12:03:07: 3 OPTIONS timed out"
    assert not health.is_up(GW) and health.state(GW) is Health.DOWN
    assert health.is_up(OTHER)


def test_a_success_resets_the_failure_run() -> None:
    health = tracker()
    for ok in (False, False, True, False, False):
        assert health.probe_result(GW, ok, "timed out" if not ok else "200 OK", T0) is None
    assert health.is_up(GW)


def test_up_again_after_m_successes() -> None:
    health = tracker(down_after=1, up_after=2)
    health.probe_result(GW, False, "transport error: connection refused", T0)
    assert health.probe_result(GW, True, "answered 200 OK", T0 + 3) is None
    assert health.probe_result(GW, False, "timed out", T0 + 6) is None  # resets the run
    assert health.probe_result(GW, True, "answered 200 OK", T0 + 9) is None
    change = health.probe_result(GW, True, "answered 200 OK", T0 + 12)
    assert change is not None and change.state is Health.UP
    assert [str(c) for c in health.history(GW)] == [
        "down at 12:03:01: 1 OPTIONS transport error: connection refused",
        "up at 12:03:13: 2 OPTIONS answered 200 OK",
    ]


def test_mixed_failures_are_listed() -> None:
    health = tracker(down_after=2)
    health.probe_result(GW, False, "timed out", T0)
    change = health.probe_result(GW, False, "transport error", T0 + 1)
    assert change is not None
    assert change.reason == "2 OPTIONS failed (timed out; transport error)"


def test_history_is_bounded() -> None:
    group = GatewayGroup("pstn", (GW,), probing=Probing(1, 1, 1))
    health = HealthTracker([group], T0, history_size=3)
    for n in range(10):
        health.probe_result(GW, n % 2 == 1, "x", T0 + n)
    assert len(health.history(GW)) == 3
    assert health.history(GW)[-1].at == T0 + 9


def test_probe_schedule() -> None:
    health = tracker(interval=30)
    assert health.next_deadline() == T0
    assert health.on_timeout(T0) == [GW, OTHER]
    assert health.next_deadline() == T0 + 30
    assert health.on_timeout(T0 + 29) == []
    assert health.on_timeout(T0 + 30) == [GW, OTHER]


def test_interval_zero_means_never_probed_and_always_up() -> None:
    group = GatewayGroup("pstn", (GW,), probing=Probing(0, 1, 1))
    health = HealthTracker([group], T0)
    assert health.next_deadline() is None
    assert health.on_timeout(T0 + 1000) == []
    assert health.is_up(GW)


def test_unknown_destinations_count_as_up_and_their_results_are_ignored() -> None:
    gone = Destination("other", "sip:x.example.net")
    health = tracker(down_after=1)
    assert health.is_up(gone)
    assert health.probe_result(gone, False, "timed out", T0) is None


def test_adopt_keeps_the_state_of_destinations_still_configured() -> None:
    old = tracker(down_after=1)
    old.probe_result(GW, False, "timed out", T0)
    new = HealthTracker([GatewayGroup("pstn", (GW,), probing=Probing(30, 1, 1))], T0 + 5)
    new.adopt(old)
    assert not new.is_up(GW)
    assert [str(c) for c in new.history(GW)] == ["down at 12:03:01: 1 OPTIONS timed out"]
