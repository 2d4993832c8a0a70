"""Anti-fraud limits on the calls of authenticated accounts (toll fraud).

Each attempt is checked in order: the deny prefixes, the account's destination classes, the
attempt rate (every attempt counts, rejected ones too), the concurrent calls. A call counts as
concurrent from `call_started` to `call_ended`; one that never ends (a lost BYE) is forgotten
after `max_call_seconds`. Every attempt also feeds the account's baseline (see `baseline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final

from sipwarden.security.baseline import Baseline
from sipwarden.security.config import FraudConfig
from sipwarden.security.destinations import classify, denied_prefix, normalize
from sipwarden.security.events import ALLOW, Action, Verdict
from sipwarden.security.windows import Lru, SlidingLog
from sipwarden.value import Value

RATE_WINDOW = 60.0  # max_attempts_per_minute


@dataclass(slots=True)
class AccountCalls:
    """One account's attempts in the last minute, its calls in progress and its baseline."""

    rate: SlidingLog
    baseline: Baseline | None = None
    active: dict[str, float] = field(default_factory=dict)


class Attempt(Value):
    """The verdict on one call attempt and the baseline alerts (reason, rule) it raised.

    A `Value` (see sipwarden/value.py): one is made for every call attempt.
    """

    __slots__ = ("alerts", "verdict")
    _names: ClassVar[tuple[str, ...]] = ("verdict", "alerts")
    verdict: Final[Verdict]
    alerts: Final[list[tuple[str, str]]]

    def __init__(self, verdict: Verdict, alerts: list[tuple[str, str]]) -> None:
        self.verdict = verdict
        self.alerts = alerts

    def _fields(self) -> tuple[object, ...]:
        return (self.verdict, self.alerts)


def _reject(reason: str, rule: str, phrase: str) -> Verdict:
    return Verdict(Action.REJECT, reason, rule, 403, phrase)


class FraudGuard:
    """Per-account call state, at most `cap` accounts (least recently used evicted)."""

    def __init__(self, fraud: FraudConfig, cap: int) -> None:
        self.config = fraud
        self.accounts: Lru[str, AccountCalls] = Lru(
            cap, lambda: AccountCalls(SlidingLog(fraud.max_attempts_per_minute, RATE_WINDOW))
        )

    def attempt(self, account: str, destination: str, now: float) -> Attempt:
        calls = self.accounts.get(account)
        number = normalize(destination, self.config)
        if calls.baseline is None:
            calls.baseline = Baseline(now)
        alerts = calls.baseline.add(number, now, self.config)
        count = calls.rate.add(now)
        self._forget_stale(calls, now)
        return Attempt(self._verdict(account, number, count, calls), alerts)

    def _verdict(self, account: str, number: str, count: int, calls: AccountCalls) -> Verdict:
        f = self.config
        prefix = denied_prefix(number, f)
        if prefix is not None:
            rule = f"fraud.deny_prefixes: {prefix}"
            return _reject("fraud_denied_prefix", rule, "Destination Not Allowed")
        kind, allowed = classify(number, f), f.classes_of(account)
        if kind not in allowed:
            rule = f"fraud.allowed_classes: {kind} not in {', '.join(allowed) or 'none'}"
            return _reject("fraud_class_not_allowed", rule, "Destination Not Allowed")
        if count > f.max_attempts_per_minute:
            rule = f"fraud.max_call_attempts_per_minute: more than {f.max_attempts_per_minute}"
            return _reject("fraud_rate", rule + f" in {RATE_WINDOW:g} s", "Call Rate Exceeded")
        if len(calls.active) >= f.max_concurrent_calls:
            rule = f"fraud.max_concurrent_calls: {f.max_concurrent_calls} in progress"
            return _reject("fraud_concurrent", rule, "Too Many Calls")
        return ALLOW

    def _forget_stale(self, calls: AccountCalls, now: float) -> None:
        limit = self.config.max_call_seconds
        for call_id in [c for c, started in calls.active.items() if now - started >= limit]:
            del calls.active[call_id]

    def started(self, account: str, call_id: str, now: float) -> None:
        self.accounts.get(account).active.setdefault(call_id, now)

    def ended(self, account: str, call_id: str) -> None:
        calls = self.accounts.peek(account)
        if calls is not None:
            calls.active.pop(call_id, None)

    def active(self, account: str) -> int:
        calls = self.accounts.peek(account)
        return 0 if calls is None else len(calls.active)
