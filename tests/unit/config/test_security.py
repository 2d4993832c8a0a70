"""[security]: the shield's thresholds, lists and networks, with line-accurate errors."""

from __future__ import annotations

import pytest

from sipwarden.config import Config, SecuritySection
from sipwarden.security.defaults import DEFAULT_SCANNER_USER_AGENTS
from tests.unit.config.conftest import Fails, Load


def test_defaults_are_safe_and_quiet() -> None:
    s = Config().security
    assert s.enabled is True
    assert (s.flood_window, s.flood_register, s.flood_invite, s.flood_options) == (
        10.0,
        30,
        20,
        20,
    )
    assert (s.ban_seconds, s.ban_growth, s.ban_max_seconds) == (60.0, 2.0, 86400.0)
    assert (s.auth_failures, s.auth_window, s.auth_ban_seconds) == (10, 60.0, 600.0)
    assert (s.account_failures, s.account_window, s.account_lock_seconds) == (20, 300.0, 300.0)
    assert s.scanner_user_agents == DEFAULT_SCANNER_USER_AGENTS
    assert s.allow == () and s.trusted_peers == ()


def test_keys_are_read(load: Load) -> None:
    text = (
        "[security]\n"
        "enabled = false\n"
        "flood_options = 5\n"
        "ban_growth = 1\n"
        'extra_scanner_user_agents = ["EvilDialer"]\n'
        'deny_prefixes = ["+881", "00 1900"]\n'
        'international_access_code = ""\n'
        'allowed_classes = ["LOCAL", "national"]\n'
        'account_classes = ["alice@example.com=local"]\n'
        'allow = ["10.0.0.1/8", "2001:db8::1"]\n'
        'trusted_peers = ["[2001:db8::2]"]\n'
        "alert_smoothing = 1\n"
    )
    s = load(text).security
    assert s == SecuritySection(
        enabled=False,
        flood_options=5,
        ban_growth=1.0,
        extra_scanner_user_agents=("EvilDialer",),
        deny_prefixes=("+881", "00 1900"),
        international_access_code="",
        allowed_classes=("local", "national"),
        account_classes=("alice@example.com=local",),
        allow=("10.0.0.0/8", "2001:db8::1/128"),
        trusted_peers=("2001:db8::2",),
        alert_smoothing=1.0,
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("flood_options = 0", "flood_options: expected an integer >= 1, got 0"),
        ("ban_growth = 0.5", "ban_growth: expected a number >= 1, got 0.5"),
        ("alert_smoothing = 1.5", "alert_smoothing: expected a number > 0 and <= 1, got 1.5"),
        ("auth_window = -1", "auth_window: expected a number > 0, got -1"),
        ('international_access_code = "0x"', "international_access_code: expected digits"),
        ("max_tracked = 99", "max_tracked: expected an integer >= 100, got 99"),
    ],
)
def test_value_errors_name_line_and_key(fails: Fails, text: str, error: str) -> None:
    message = fails(f"[security]\n\n{text}\n")
    assert message.startswith(f"sipwarden.toml:3: [security] {error}")


@pytest.mark.parametrize(
    ("key", "item", "error"),
    [
        ("allow", "10.0.0.300/8", "expected an IP network such as 192.0.2.0/24"),
        ("trusted_peers", "example.com", "expected an IP address"),
        ("deny_prefixes", "+1-900x", "expected a number prefix such as +1900 or 0"),
        ("premium_prefixes", "", "expected a number prefix"),
        ("extra_scanner_user_agents", " ", "expected a non-empty User-Agent substring"),
        ("account_classes", "alice@x=moon", "unknown destination class 'moon'"),
        ("account_classes", "alice=local", "expected USER@DOMAIN=CLASS,CLASS"),
        ("allowed_classes", "galactic", "expected one of local, national, international"),
    ],
)
def test_array_errors_point_at_the_element(fails: Fails, key: str, item: str, error: str) -> None:
    text = f'[security]\n{key} = [\n  "ok-looking",\n  "{item}",\n]\n'
    text = text.replace('"ok-looking",\n', "") if key != "extra_scanner_user_agents" else text
    message = fails(text)
    assert message.startswith("sipwarden.toml:")
    assert f"[security] {key}: {error}" in message


def test_ban_max_must_not_be_below_the_bases(fails: Fails) -> None:
    assert fails("[security]\nban_seconds = 120\nban_max_seconds = 100\n") == (
        "sipwarden.toml:3: [security] ban_max_seconds (100) is less than ban_seconds (120)"
    )
    assert fails("[security]\nban_max_seconds = 500\n") == (
        "sipwarden.toml:2: [security] ban_max_seconds (500) is less than auth_ban_seconds (600)"
    )


def test_extra_agents_must_not_repeat_the_list(fails: Fails) -> None:
    assert fails('[security]\nextra_scanner_user_agents = ["SIPVicious"]\n') == (
        "sipwarden.toml:2: [security] extra_scanner_user_agents repeats 'sipvicious' of"
        " scanner_user_agents"
    )


def test_unknown_key_gets_a_suggestion(fails: Fails) -> None:
    assert fails("[security]\nflood_option = 3\n") == (
        'sipwarden.toml:2: [security] unknown key "flood_option"; did you mean "flood_options"?'
    )
