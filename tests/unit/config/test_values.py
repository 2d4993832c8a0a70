"""Every key: a good value is taken as written, a wrong type or range names file, line and key."""

from __future__ import annotations

import pytest

from sipwarden.config.schema import SECTIONS
from sipwarden.transport.listen import ListenSpec
from tests.unit.config.conftest import Fails, Load

# (section, key, TOML value, expected config value)
GOOD = [
    ("server", "data_dir", '"/var/lib/sipwarden"', "/var/lib/sipwarden"),
    (
        "server",
        "domains",
        '["Example.COM", "10.0.0.1", "[::1]"]',
        ("example.com", "10.0.0.1", "::1"),
    ),
    ("server", "listen", '["UDP:[::]:5070"]', (ListenSpec("udp", "::", 5070),)),
    ("tls", "cert", '"/etc/ssl/cert.pem"', "/etc/ssl/cert.pem"),
    ("tls", "key", '"/etc/ssl/key.pem"', "/etc/ssl/key.pem"),
    ("tls", "ca", '"/etc/ssl/ca.pem"', "/etc/ssl/ca.pem"),
    ("tls", "verify_client", "true", True),
    ("transport", "max_message_size", "4096", 4096),
    ("transport", "idle_timeout", "30", 30.0),
    ("transport", "max_connections_per_ip", "1", 1),
    ("transport", "udp_mtu_limit", "1400", 1400),
    ("timers", "t1", "0.25", 0.25),
    ("timers", "t2", "8", 8.0),
    ("timers", "t4", "2.5", 2.5),
    ("registrar", "min_expires", "30", 30),
    ("registrar", "max_expires", "7200", 7200),
    ("registrar", "default_expires", "600", 600),
    ("registrar", "max_contacts", "1", 1),
    ("proxy", "mode", '"Redirect"', "redirect"),
    ("proxy", "record_route", "false", False),
    ("proxy", "timer_c", "181", 181),
    ("proxy", "recurse_on_3xx", "false", False),
    ("proxy", "max_forward_hops", "20", 20),
    ("auth", "algorithms", '["sha-512-256", "md5"]', ("SHA-512-256", "MD5")),
    ("auth", "qop", '["AUTH-INT", "auth"]', ("auth-int", "auth")),
    ("auth", "nonce_ttl", "60", 60.0),
    ("auth", "identity_exempt", '["pbx@Example.com"]', ("pbx@example.com",)),
    ("auth", "authenticate_calls", "false", False),
    ("log", "level", '"DEBUG"', "debug"),
    ("log", "format", '"json"', "json"),
]

# Keys that another key must accompany (cert and key go together; verify_client needs ca).
COMPANION = {
    ("tls", "cert"): 'key = "/etc/ssl/key.pem"',
    ("tls", "key"): 'cert = "/etc/ssl/cert.pem"',
    ("tls", "verify_client"): 'ca = "/etc/ssl/ca.pem"',
}

# (section, key, wrong TOML value, what the message says after "[section] key: ")
BAD = [
    ("server", "data_dir", "5", "expected a string, got 5"),
    ("server", "data_dir", '" "', 'expected a non-empty string, got " "'),
    ("server", "domains", '"example.com"', 'expected an array of strings, got "example.com"'),
    ("server", "domains", "[1]", "expected an array of strings, got [1]"),
    (
        "server",
        "listen",
        '"udp:0.0.0.0:5060"',
        'expected an array of strings, got "udp:0.0.0.0:5060"',
    ),
    ("server", "listen", "[]", "expected at least one entry, got []"),
    ("tls", "cert", "true", "expected a string, got true"),
    ("tls", "key", "[]", "expected a string, got []"),
    ("tls", "ca", "{ path = 1 }", "expected a string, got a table"),
    ("tls", "verify_client", '"yes"', 'expected true or false, got "yes"'),
    ("tls", "verify_client", "1", "expected true or false, got 1"),
    ("transport", "max_message_size", "1.5", "expected an integer from 1024 to 16777216, got 1.5"),
    ("transport", "max_message_size", "100", "expected an integer from 1024 to 16777216, got 100"),
    ("transport", "idle_timeout", "0", "expected a number > 0, got 0"),
    ("transport", "idle_timeout", "inf", "expected a number > 0, got inf"),
    ("transport", "max_connections_per_ip", "true", "expected an integer >= 1, got true"),
    ("transport", "udp_mtu_limit", "70000", "expected an integer from 576 to 65535, got 70000"),
    ("timers", "t1", "0", "expected a number > 0, got 0"),
    ("timers", "t2", "-1.0", "expected a number > 0, got -1.0"),
    ("timers", "t4", "nan", "expected a number > 0, got nan"),
    ("timers", "t4", '"5s"', 'expected a number > 0, got "5s"'),
    ("registrar", "min_expires", '"abc"', 'expected an integer >= 1, got "abc"'),
    (
        "registrar",
        "max_expires",
        "4294967296",
        "expected an integer from 1 to 4294967295, got 4294967296",
    ),
    ("registrar", "default_expires", "0", "expected an integer >= 1, got 0"),
    ("registrar", "max_contacts", "2024-01-01", "expected an integer >= 1, got 2024-01-01"),
    ("proxy", "mode", '"stateless"', 'expected one of proxy, redirect, got "stateless"'),
    ("proxy", "record_route", '"yes"', 'expected true or false, got "yes"'),
    ("proxy", "timer_c", "179", "expected an integer >= 180, got 179"),
    ("proxy", "timer_c", "180.5", "expected an integer >= 180, got 180.5"),
    ("proxy", "recurse_on_3xx", "1", "expected true or false, got 1"),
    ("proxy", "max_forward_hops", "0", "expected an integer from 1 to 20, got 0"),
    ("proxy", "max_forward_hops", "21", "expected an integer from 1 to 20, got 21"),
    ("auth", "algorithms", '["SHA256"]', 'expected one of MD5, SHA-256, SHA-512-256, got "SHA256"'),
    ("auth", "algorithms", '["MD5", "md5"]', '"md5" is listed twice'),
    ("auth", "algorithms", "[]", "expected at least one entry, got []"),
    ("auth", "qop", '["auth", "integrity"]', 'expected one of auth, auth-int, got "integrity"'),
    ("auth", "nonce_ttl", "false", "expected a number > 0, got false"),
    ("auth", "authenticate_calls", '"no"', 'expected true or false, got "no"'),
    ("auth", "identity_exempt", '["pbx"]', "expected USER@DOMAIN, got 'pbx'"),
    (
        "auth",
        "identity_exempt",
        '["a b@example.com"]',
        "user 'a b' has characters not allowed"
        " in a SIP user part (letters, digits, -_.!~*'()&=+$,;?/ and %HH escapes)",
    ),
    ("log", "level", '"verbose"', 'expected one of debug, info, warning, error, got "verbose"'),
    ("log", "format", "1", "expected one of text, json, got 1"),
]


@pytest.mark.parametrize(("section", "key", "toml", "expected"), GOOD)
def test_good_value(load: Load, section: str, key: str, toml: str, expected: object) -> None:
    companion = COMPANION.get((section, key), "")
    config = load(f"[{section}]\n{key} = {toml}\n{companion}\n")
    assert getattr(getattr(config, section), key) == expected


@pytest.mark.parametrize(("section", "key", "toml", "what"), BAD)
def test_bad_value(fails: Fails, section: str, key: str, toml: str, what: str) -> None:
    text = f"# comment\n\n[{section}]\n{key} = {toml}\n"
    assert fails(text) == f"sipwarden.toml:4: [{section}] {key}: {what}"


def test_every_key_has_a_good_and_a_bad_case() -> None:
    every = {(section, key) for section, (_, keys) in SECTIONS.items() for key in keys}
    assert {(s, k) for s, k, _, _ in GOOD} == every
    assert {(s, k) for s, k, _, _ in BAD} == every
