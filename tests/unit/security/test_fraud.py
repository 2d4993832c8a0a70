"""Anti-fraud: deny prefixes, destination classes, attempt rate, concurrent calls, baseline."""

from __future__ import annotations

import pytest

from sipwarden.security import Action, EventKind
from sipwarden.security.config import FraudConfig
from sipwarden.security.destinations import classify, normalize
from tests.unit.security.helpers import T0, drain, kinds, shield


@pytest.mark.parametrize(
    ("dialled", "prefix"),
    [("+8816123456", "+881"), ("00882 1234", "+882"), ("+883-5100", "+883"), ("+870776", "+870")],
)
def test_deny_prefixes(dialled: str, prefix: str) -> None:
    s = shield()
    verdict = s.call_attempt("alice@x", dialled, T0)
    assert (verdict.action, verdict.reason, verdict.status) == (
        Action.REJECT,
        "fraud_denied_prefix",
        403,
    )
    assert verdict.rule == f"fraud.deny_prefixes: {prefix}"
    assert verdict.phrase == "Destination Not Allowed"
    (event,) = drain(s)
    assert (event.kind, event.account, event.detail) == (EventKind.REJECT, "alice@x", dialled)


@pytest.mark.parametrize(
    ("dialled", "kind"),
    [
        ("alice", "local"),
        ("1234", "local"),
        ("0201234567", "national"),
        ("+4420123", "international"),
        ("0044 20 123", "international"),
        ("+19005551234", "premium"),
        ("0044 9 0912", "premium"),
        ("+44 9 0912", "premium"),
    ],
)
def test_destination_classes_by_longest_prefix(dialled: str, kind: str) -> None:
    fraud = FraudConfig()
    assert classify(normalize(dialled, fraud), fraud) == kind


def test_premium_is_not_allowed_by_default() -> None:
    verdict = shield().call_attempt("alice@x", "+19005551234", T0)
    assert (verdict.reason, verdict.rule) == (
        "fraud_class_not_allowed",
        "fraud.allowed_classes: premium not in local, national, international",
    )


def test_per_account_classes() -> None:
    s = shield(fraud={"account_classes": (("lobby@x", ("local",)),)})
    assert s.call_attempt("lobby@x", "100", T0).allowed
    assert s.call_attempt("LOBBY@X", "0201234", T0).reason == "fraud_class_not_allowed"
    assert s.call_attempt("alice@x", "0201234", T0).allowed


def test_attempt_rate_allows_exactly_the_limit_per_minute() -> None:
    s = shield(fraud={"max_attempts_per_minute": 3})
    for n in range(3):
        assert s.call_attempt("alice@x", "100", T0 + n).allowed
    verdict = s.call_attempt("alice@x", "100", T0 + 3)
    assert (verdict.reason, verdict.phrase) == ("fraud_rate", "Call Rate Exceeded")
    assert verdict.rule == "fraud.max_call_attempts_per_minute: more than 3 in 60 s"
    assert s.call_attempt("bob@x", "100", T0 + 3).allowed
    # T0 + 0 and T0 + 1 leave the window at T0 + 60 and T0 + 61; the rejected one counts too.
    assert not s.call_attempt("alice@x", "100", T0 + 60).allowed
    assert s.call_attempt("alice@x", "100", T0 + 62).allowed


def test_concurrent_calls_allow_exactly_the_limit() -> None:
    s = shield(fraud={"max_concurrent_calls": 2})
    for call in ("c1", "c2"):
        assert s.call_attempt("alice@x", "100", T0).allowed
        s.call_started("alice@x", call, T0)
    verdict = s.call_attempt("alice@x", "100", T0)
    assert (verdict.reason, verdict.phrase) == ("fraud_concurrent", "Too Many Calls")
    assert verdict.rule == "fraud.max_concurrent_calls: 2 in progress"
    s.call_ended("alice@x", "c1", T0 + 5)
    assert s.active_calls("alice@x") == 1
    assert s.call_attempt("alice@x", "100", T0 + 5).allowed


def test_calls_that_never_end_are_forgotten_after_max_call_seconds() -> None:
    s = shield(fraud={"max_concurrent_calls": 1, "max_call_seconds": 3600.0})
    s.call_started("alice@x", "c1", T0)
    assert not s.call_attempt("alice@x", "100", T0 + 3599.999).allowed
    assert s.call_attempt("alice@x", "100", T0 + 3600).allowed


def test_rules_apply_in_order_prefix_class_rate_concurrent() -> None:
    s = shield(fraud={"max_concurrent_calls": 1, "max_attempts_per_minute": 1})
    s.call_started("alice@x", "c1", T0)
    assert s.call_attempt("alice@x", "+8811", T0).reason == "fraud_denied_prefix"
    assert s.call_attempt("alice@x", "+19001", T0).reason == "fraud_class_not_allowed"
    assert s.call_attempt("alice@x", "100", T0).reason == "fraud_rate"
    t = T0 + 100
    assert s.call_attempt("alice@x", "100", t).reason == "fraud_concurrent"


ALERT = {
    "alert_window": 60.0,
    "alert_factor": 3.0,
    "alert_min_attempts": 4,
    "alert_smoothing": 0.5,
    "max_attempts_per_minute": 1000,
}


def test_baseline_alert_needs_the_minimum_count() -> None:
    s = shield(fraud=ALERT)
    for n in range(3):
        s.call_attempt("alice@x", "100", T0 + n)
    assert drain(s) == []
    s.call_attempt("alice@x", "100", T0 + 3)  # 4 attempts, baseline 0: alert
    events = drain(s)
    assert kinds(events) == [(EventKind.FRAUD_ALERT, "fraud_baseline_attempts")]
    assert events[0].account == "alice@x"
    assert events[0].rule == "fraud.alert: 4 attempts in 60 s > 3 x baseline 0.00 (min 4)"
    for n in range(10):
        s.call_attempt("alice@x", "100", T0 + 4 + n)
    assert drain(s) == []  # once per window


def test_baseline_alert_fires_above_factor_times_the_moving_average() -> None:
    s = shield(fraud=ALERT)
    # Three windows of 4 attempts each: the average after them is 4 x (1 - 0.5^3) = 3.5.
    for window in range(3):
        for n in range(4):
            s.call_attempt("alice@x", "100", T0 + 60 * window + n)
    drain(s)
    start = T0 + 180
    for n in range(10):  # 10 <= 3 x 3.5 = 10.5: no alert
        s.call_attempt("alice@x", "100", start + n)
    assert drain(s) == []
    s.call_attempt("alice@x", "100", start + 10)  # 11 > 10.5
    events = drain(s)
    assert kinds(events) == [(EventKind.FRAUD_ALERT, "fraud_baseline_attempts")]
    assert "11 attempts in 60 s > 3 x baseline 3.50" in events[0].rule


def test_quiet_windows_lower_the_baseline() -> None:
    s = shield(fraud=ALERT)
    for n in range(4):
        s.call_attempt("alice@x", "100", T0 + n)
    drain(s)
    # One window of 4 folds in as 4 x 0.5 = 2; two empty windows halve it twice: 0.5.
    for n in range(4):
        s.call_attempt("alice@x", "100", T0 + 180 + n)
    assert "baseline 0.50" in drain(s)[0].rule


def test_baseline_alert_on_distinct_destinations() -> None:
    s = shield(fraud=ALERT)
    for window in range(3):
        for n in range(4):
            s.call_attempt("alice@x", "100", T0 + 60 * window + n)
    drain(s)
    start = T0 + 180
    for n in range(4):  # 4 attempts, 4 destinations: destinations jump from 1 to 4
        s.call_attempt("alice@x", f"+44{n}", start + n)
    events = drain(s)
    assert kinds(events) == [(EventKind.FRAUD_ALERT, "fraud_baseline_destinations")]
    assert events[0].rule.startswith("fraud.alert: 4 destinations in 60 s > 3 x baseline 0.88")


def test_alerts_do_not_block() -> None:
    s = shield(fraud=ALERT)
    assert all(s.call_attempt("alice@x", "100", T0).allowed for _ in range(20))


def test_baseline_alert_needs_more_than_factor_times_the_average() -> None:
    s = shield(fraud={**ALERT, "alert_smoothing": 1.0})  # the average is the last window
    for n in range(4):
        s.call_attempt("alice@x", "100", T0 + n)
    drain(s)
    for n in range(12):  # exactly 3 x 4: not above
        s.call_attempt("alice@x", "100", T0 + 60 + n)
    assert drain(s) == []
    s.call_attempt("alice@x", "100", T0 + 72)
    assert kinds(drain(s)) == [(EventKind.FRAUD_ALERT, "fraud_baseline_attempts")]
