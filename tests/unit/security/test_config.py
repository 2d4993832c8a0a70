"""SecurityConfig: validation, the exemption checks and the build from [security]."""

from __future__ import annotations

import ipaddress

import pytest

from sipwarden.config import Config, SecuritySection
from sipwarden.security import SecurityConfig
from sipwarden.security.config import (
    BanConfig,
    FloodConfig,
    FraudConfig,
    ScannerConfig,
    parse_account_classes,
)


def test_defaults_from_the_default_section() -> None:
    assert SecurityConfig.from_section(Config().security) == SecurityConfig()


def test_from_section_maps_every_key() -> None:
    section = SecuritySection(
        flood_register=5,
        ban_growth=3.0,
        auth_failures=4,
        account_lock_seconds=30.0,
        extra_scanner_user_agents=("EvilDialer",),
        options_sweep=7,
        max_call_attempts_per_minute=9,
        deny_prefixes=("00 881",),
        account_classes=("Alice@Example.com=local, national",),
        allow=("10.0.0.0/8",),
        trusted_peers=("192.0.2.10",),
        max_tracked=500,
    )
    config = SecurityConfig.from_section(section)
    assert config.flood.register == 5
    assert config.bans.growth == 3.0
    assert config.brute_force.address_failures == 4
    assert config.brute_force.lock_seconds == 30.0
    assert config.scanner.user_agents[-1] == "EvilDialer"
    assert config.scanner.options_targets == 7
    assert config.fraud.max_attempts_per_minute == 9
    assert config.fraud.deny_prefixes == ("+881",)
    assert config.fraud.classes_of("alice@example.com") == ("local", "national")
    assert config.exempt("10.9.9.9") and config.exempt("192.0.2.10")
    assert config.trusted("192.0.2.10") and not config.trusted("10.9.9.9")
    assert config.max_tracked == 500


@pytest.mark.parametrize(
    "build",
    [
        lambda: FloodConfig(window=0),
        lambda: FloodConfig(options=0),
        lambda: BanConfig(growth=0.5),
        lambda: BanConfig(seconds=600, max_seconds=60),
        lambda: ScannerConfig(user_agents=("ok", " ")),
        lambda: FraudConfig(allowed_classes=("galactic",)),
        lambda: FraudConfig(alert_smoothing=1.5),
        lambda: SecurityConfig(max_tracked=0),
        lambda: SecurityConfig(trusted_peers=("not-an-ip",)),
    ],
)
def test_invalid_values_are_refused(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_exempt_handles_bad_addresses_and_families() -> None:
    config = SecurityConfig(allow=(ipaddress.ip_network("10.0.0.0/8"),))
    assert not config.exempt("garbage")
    assert not config.exempt("::ffff:11.0.0.1")
    assert not config.trusted("garbage")


def test_account_classes_syntax() -> None:
    assert parse_account_classes("a@x=premium") == ("a@x", ("premium",))
    assert parse_account_classes("a@x=") == ("a@x", ())
    for bad in ("a@x", "=local", "ax=local", "a@x=local,moon"):
        with pytest.raises(ValueError):
            parse_account_classes(bad)
