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
# [security]: every key once, good and bad (tests/unit/config/test_security.py has the rest).
GOOD += [
    ("security", "enabled", "false", False),
    ("security", "flood_window", "5", 5.0),
    ("security", "flood_register", "60", 60),
    ("security", "flood_invite", "10", 10),
    ("security", "flood_options", "5", 5),
    ("security", "flood_other", "100", 100),
    ("security", "ban_seconds", "30", 30.0),
    ("security", "ban_growth", "1.5", 1.5),
    ("security", "ban_max_seconds", "7200", 7200.0),
    ("security", "offence_memory", "3600", 3600.0),
    ("security", "auth_failures", "5", 5),
    ("security", "auth_window", "30", 30.0),
    ("security", "auth_ban_seconds", "120", 120.0),
    ("security", "account_failures", "50", 50),
    ("security", "account_window", "600", 600.0),
    ("security", "account_lock_seconds", "60", 60.0),
    ("security", "scanner_user_agents", '["sipvicious"]', ("sipvicious",)),
    ("security", "extra_scanner_user_agents", '["EvilDialer"]', ("EvilDialer",)),
    ("security", "unknown_users", "20", 20),
    ("security", "unknown_users_window", "120", 120.0),
    ("security", "options_sweep", "30", 30),
    ("security", "options_sweep_window", "30", 30.0),
    ("security", "max_concurrent_calls", "2", 2),
    ("security", "max_call_attempts_per_minute", "6", 6),
    ("security", "max_call_seconds", "3600", 3600.0),
    ("security", "deny_prefixes", '["+881", "00 1 900"]', ("+881", "00 1 900")),
    ("security", "international_access_code", '"011"', "011"),
    ("security", "national_prefixes", '["1"]', ("1",)),
    ("security", "international_prefixes", '["+", "011"]', ("+", "011")),
    ("security", "premium_prefixes", "[]", ()),
    ("security", "allowed_classes", '["Local"]', ("local",)),
    ("security", "account_classes", '["a@x=premium"]', ("a@x=premium",)),
    ("security", "alert_window", "300", 300.0),
    ("security", "alert_factor", "10", 10.0),
    ("security", "alert_min_attempts", "3", 3),
    ("security", "alert_smoothing", "0.1", 0.1),
    ("security", "allow", '["192.0.2.0/24"]', ("192.0.2.0/24",)),
    ("security", "trusted_peers", '["192.0.2.10"]', ("192.0.2.10",)),
    ("security", "max_tracked", "1000", 1000),
    ("security", "max_bans", "100", 100),
]

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
    ("log", "format", "1", "expected one of text, json, logfmt, got 1"),
]


BAD += [
    ("security", "enabled", '"yes"', 'expected true or false, got "yes"'),
    ("security", "flood_window", "0", "expected a number > 0, got 0"),
    ("security", "flood_register", "0", "expected an integer >= 1, got 0"),
    ("security", "flood_invite", "1.5", "expected an integer >= 1, got 1.5"),
    ("security", "flood_options", "-1", "expected an integer >= 1, got -1"),
    ("security", "flood_other", "true", "expected an integer >= 1, got true"),
    ("security", "ban_seconds", "-60", "expected a number > 0, got -60"),
    ("security", "ban_growth", "0.9", "expected a number >= 1, got 0.9"),
    ("security", "ban_max_seconds", "0", "expected a number > 0, got 0"),
    ("security", "offence_memory", '"1d"', 'expected a number > 0, got "1d"'),
    ("security", "auth_failures", "0", "expected an integer >= 1, got 0"),
    ("security", "auth_window", "0", "expected a number > 0, got 0"),
    ("security", "auth_ban_seconds", "inf", "expected a number > 0, got inf"),
    ("security", "account_failures", "0", "expected an integer >= 1, got 0"),
    ("security", "account_window", "-5", "expected a number > 0, got -5"),
    ("security", "account_lock_seconds", "0", "expected a number > 0, got 0"),
    (
        "security",
        "scanner_user_agents",
        '"sipvicious"',
        'expected an array of strings, got "sipvicious"',
    ),
    (
        "security",
        "extra_scanner_user_agents",
        '[""]',
        'expected a non-empty User-Agent substring, got ""',
    ),
    ("security", "unknown_users", "0", "expected an integer >= 1, got 0"),
    ("security", "unknown_users_window", "0", "expected a number > 0, got 0"),
    ("security", "options_sweep", "0", "expected an integer >= 1, got 0"),
    ("security", "options_sweep_window", "0", "expected a number > 0, got 0"),
    ("security", "max_concurrent_calls", "0", "expected an integer >= 1, got 0"),
    ("security", "max_call_attempts_per_minute", "0", "expected an integer >= 1, got 0"),
    ("security", "max_call_seconds", "0", "expected a number > 0, got 0"),
    ("security", "deny_prefixes", '["+881", "+881"]', '"+881" is listed twice'),
    ("security", "international_access_code", "0", "expected a string, got 0"),
    (
        "security",
        "national_prefixes",
        '["zero"]',
        'expected a number prefix such as +1900 or 0, got "zero"',
    ),
    (
        "security",
        "international_prefixes",
        '["++"]',
        'expected a number prefix such as +1900 or 0, got "++"',
    ),
    (
        "security",
        "premium_prefixes",
        '["1900x"]',
        'expected a number prefix such as +1900 or 0, got "1900x"',
    ),
    (
        "security",
        "allowed_classes",
        '["moon"]',
        'expected one of local, national, international, premium, got "moon"',
    ),
    ("security", "account_classes", '["a@x"]', "expected USER@DOMAIN=CLASS,CLASS, got 'a@x'"),
    ("security", "alert_window", "0", "expected a number > 0, got 0"),
    ("security", "alert_factor", "0.5", "expected a number >= 1, got 0.5"),
    ("security", "alert_smoothing", "2", "expected a number > 0 and <= 1, got 2"),
    ("security", "alert_min_attempts", "0", "expected an integer >= 1, got 0"),
    (
        "security",
        "allow",
        '["10.0.0.0/33"]',
        'expected an IP network such as 192.0.2.0/24, got "10.0.0.0/33"',
    ),
    (
        "security",
        "trusted_peers",
        '["pbx.example.com"]',
        'expected an IP address, got "pbx.example.com"',
    ),
    ("security", "max_tracked", "10", "expected an integer >= 100, got 10"),
    ("security", "max_bans", "99", "expected an integer >= 100, got 99"),
]

# [admin]: the admin API listener and its credentials (docs/admin.md).
GOOD += [
    ("admin", "enabled", "false", False),
    ("admin", "listen", '"[::1]:9000"', "[::1]:9000"),
    ("admin", "token_file", '"/etc/sipwarden/admin.token"', "/etc/sipwarden/admin.token"),
    ("admin", "basic_user", '"ops"', "ops"),
    ("admin", "basic_password_file", '"/etc/sipwarden/admin.pw"', "/etc/sipwarden/admin.pw"),
]
BAD += [
    ("admin", "enabled", "1", "expected true or false, got 1"),
    (
        "admin",
        "listen",
        '"admin.example.com:8088"',
        "expected HOST:PORT (an IP address, [IPv6] in brackets, or localhost; port 0 to 65535),"
        ' got "admin.example.com:8088"',
    ),
    ("admin", "token_file", "7", "expected a string, got 7"),
    ("admin", "basic_user", "[]", "expected a string, got []"),
    ("admin", "basic_password_file", "false", "expected a string, got false"),
]

# [hep] and [cdr]: HEP v3 capture (docs/hep.md) and call detail records (docs/cdr.md).
GOOD += [
    ("hep", "enabled", "true", True),
    ("hep", "collector", '"homer.example.net:9060"', "homer.example.net:9060"),
    ("hep", "agent_id", "4294967295", 4294967295),
    ("hep", "password", '"s3cret"', "s3cret"),
    (
        "dns",
        "nameservers",
        '["192.0.2.53", "127.0.0.1:5353", "[::1]:53"]',
        ("192.0.2.53", "127.0.0.1:5353", "[::1]:53"),
    ),
    ("dns", "timeout", "0.5", 0.5),
    ("cdr", "enabled", "false", False),
    ("cdr", "csv", "false", False),
    ("cdr", "database", "false", False),
    ("cdr", "max_duration", "3600", 3600.0),
    ("cdr", "flush_interval", "0", 0.0),
    ("cdr", "flush_interval", "2.5", 2.5),
    ("cdr", "flush_interval", "60", 60.0),
]
BAD += [
    ("hep", "enabled", '"yes"', 'expected true or false, got "yes"'),
    (
        "hep",
        "collector",
        '"::1:9060"',
        'an IPv6 address goes in brackets, [::1]:9060; got "::1:9060"',
    ),
    ("hep", "agent_id", "-1", "expected an integer from 0 to 4294967295, got -1"),
    ("hep", "password", "1", "expected a string, got 1"),
    (
        "dns",
        "nameservers",
        '["ns.example.com"]',
        "expected an IP address with an optional port (IP, IP:PORT or [IPv6]:PORT),"
        ' got "ns.example.com"',
    ),
    ("dns", "timeout", "0", "expected a number > 0, got 0"),
    ("cdr", "enabled", "0", "expected true or false, got 0"),
    ("cdr", "csv", '"no"', 'expected true or false, got "no"'),
    ("cdr", "database", "1", "expected true or false, got 1"),
    ("cdr", "max_duration", "0", "expected a number > 0, got 0"),
    ("cdr", "flush_interval", "-1", "expected a number of seconds from 0 to 60, got -1"),
    ("cdr", "flush_interval", "61", "expected a number of seconds from 0 to 60, got 61"),
    ("cdr", "flush_interval", "nan", "expected a number of seconds from 0 to 60, got nan"),
    ("cdr", "flush_interval", "true", "expected a number of seconds from 0 to 60, got true"),
]


# [storage] and [state]: where the stores live (docs/cluster.md).
GOOD += [
    ("storage", "url", '"postgresql://sip@db:5432/sip"', "postgresql://sip@db:5432/sip"),
    ("state", "url", '"redis://127.0.0.1:6379/2"', "redis://127.0.0.1:6379/2"),
    ("state", "prefix", '"edge:"', "edge:"),
]
BAD += [
    (
        "storage",
        "url",
        '"redis://127.0.0.1/0"',
        "unsupported store URL (scheme 'redis'); expected sqlite:///PATH or"
        " postgresql://USER@HOST:PORT/DB (Redis holds the state: [state] url, --state)",
    ),
    ("state", "url", '"redis://h/x"', "redis URL database must be a number, got 'x'"),
    ("state", "prefix", '""', 'expected a non-empty string, got ""'),
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
