"""RateHistory: per-second rates from cumulative totals, the last hour of them."""

from __future__ import annotations

from sipwarden.observe.rates import RateHistory


def test_rates_are_increases_per_second() -> None:
    history = RateHistory(step=10.0)
    history.sample(100.0, {"requests": {"INVITE": 0.0}, "responses": {}})
    history.sample(110.0, {"requests": {"INVITE": 50.0}, "responses": {"2xx": 10.0}})
    history.sample(120.0, {"requests": {"INVITE": 60.0}, "responses": {"2xx": 30.0}})
    snap = history.snapshot()
    assert snap["step"] == 10.0 and snap["end"] == 120.0
    assert snap["times"] == [110.0, 120.0]
    assert snap["requests"] == {"INVITE": [5.0, 1.0]}
    assert snap["responses"] == {"2xx": [1.0, 2.0]}


def test_only_the_span_is_kept() -> None:
    history = RateHistory(step=10.0, span=30.0)
    for n in range(10):
        history.sample(n * 10.0, {"requests": {"BYE": n * 10.0}})
    snap = history.snapshot()
    assert len(snap["times"]) == 3
    assert snap["requests"]["BYE"] == [1.0, 1.0, 1.0]


def test_a_counter_reset_is_not_a_negative_rate() -> None:
    history = RateHistory(step=10.0)
    history.sample(0.0, {"requests": {"OPTIONS": 100.0}})
    history.sample(10.0, {"requests": {"OPTIONS": 0.0}})
    assert history.snapshot()["requests"]["OPTIONS"] == [0.0]


def test_empty_history() -> None:
    snap = RateHistory().snapshot()
    assert snap["end"] is None and snap["requests"] == {} and snap["responses"] == {}
