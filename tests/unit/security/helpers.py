"""A shield with small thresholds and a way to read its events."""

from __future__ import annotations

import dataclasses
from typing import Any

from sipwarden.security import EventKind, SecurityConfig, SecurityEvent, Shield
from sipwarden.security.config import (
    BanConfig,
    BruteForceConfig,
    FloodConfig,
    FraudConfig,
    ScannerConfig,
)

T0 = 1_000_000.0


def drain(shield: Shield) -> list[SecurityEvent]:
    events = []
    while (event := shield.next_event()) is not None:
        events.append(event)
    return events


def kinds(events: list[SecurityEvent]) -> list[tuple[EventKind, str]]:
    return [(event.kind, event.reason) for event in events]


def config(**sections: Any) -> SecurityConfig:
    """The default configuration with some fields of its sections replaced:
    config(flood={"options": 3}, max_tracked=10)."""
    base = SecurityConfig()
    parts = {
        "flood": FloodConfig,
        "bans": BanConfig,
        "brute_force": BruteForceConfig,
        "scanner": ScannerConfig,
        "fraud": FraudConfig,
    }
    changes: dict[str, Any] = {}
    for name, value in sections.items():
        if name in parts:
            changes[name] = dataclasses.replace(getattr(base, name), **value)
        else:
            changes[name] = value
    return dataclasses.replace(base, **changes)


def shield(**sections: Any) -> Shield:
    return Shield(config(**sections))
