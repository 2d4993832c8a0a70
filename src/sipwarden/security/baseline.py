"""The baseline alert: an account calling far more than it usually does.

How this works: time is cut into windows of `alert_window` seconds starting at the account's
first attempt. When a window closes, its count folds into an exponentially weighted moving
average (EWMA, weight `alert_smoothing`); windows without attempts fold in as zero. Within the
current window, once the attempts reach `alert_min_attempts` and exceed `alert_factor` x the
average, one alert fires (once per window). The same is done for the number of distinct
destinations called, so a sudden spread to many numbers alerts too.
"""

from __future__ import annotations

from sipwarden.security.config import FraudConfig

MAX_DESTINATIONS = 1000  # distinct destinations remembered per window and account


class Baseline:
    """One account's current window and its averages."""

    __slots__ = ("alerted", "attempts", "destinations", "mean", "mean_destinations", "start")

    def __init__(self, now: float) -> None:
        self.start = now
        self.attempts = 0
        self.destinations: set[str] = set()
        self.mean = 0.0
        self.mean_destinations = 0.0
        self.alerted: set[str] = set()

    def add(self, destination: str, now: float, fraud: FraudConfig) -> list[tuple[str, str]]:
        """Count one attempt; return the alerts it raises as (reason, rule)."""
        self._roll(now, fraud)
        self.attempts += 1
        if len(self.destinations) < MAX_DESTINATIONS:
            self.destinations.add(destination)
        found = [
            self._check("fraud_baseline_attempts", "attempts", self.attempts, self.mean, fraud),
            self._check(
                "fraud_baseline_destinations",
                "destinations",
                len(self.destinations),
                self.mean_destinations,
                fraud,
            ),
        ]
        return [alert for alert in found if alert is not None]

    def _check(
        self, reason: str, what: str, count: int, mean: float, fraud: FraudConfig
    ) -> tuple[str, str] | None:
        if reason in self.alerted or count < fraud.alert_min_attempts:
            return None
        if count <= fraud.alert_factor * mean:
            return None
        self.alerted.add(reason)
        rule = (
            f"fraud.alert: {count} {what} in {fraud.alert_window:g} s > {fraud.alert_factor:g}"
            f" x baseline {mean:.2f} (min {fraud.alert_min_attempts})"
        )
        return reason, rule

    def _roll(self, now: float, fraud: FraudConfig) -> None:
        elapsed = int((now - self.start) // fraud.alert_window)
        if elapsed <= 0:
            return
        keep = 1.0 - fraud.alert_smoothing
        self.mean = (fraud.alert_smoothing * self.attempts + keep * self.mean) * keep ** (
            elapsed - 1
        )
        self.mean_destinations = (
            fraud.alert_smoothing * len(self.destinations) + keep * self.mean_destinations
        ) * keep ** (elapsed - 1)
        self.start += elapsed * fraud.alert_window
        self.attempts = 0
        self.destinations.clear()
        self.alerted.clear()
