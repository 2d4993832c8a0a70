"""Every section and key of the configuration file with the check its value must pass.

The defaults are the dataclass defaults in `model`; a test keeps these keys and the dataclass
fields in step.
"""

from __future__ import annotations

from sipwarden.auth.hashes import ALGORITHMS
from sipwarden.config import admin_checks as ac
from sipwarden.config import checks as c
from sipwarden.config import dns_checks as dc
from sipwarden.config import observe_checks as oc
from sipwarden.config import security_checks as sc
from sipwarden.config import storage_checks as stc
from sipwarden.config.model import (
    AdminSection,
    AuthSection,
    CdrSection,
    DnsSection,
    HepSection,
    LogSection,
    ProxySection,
    RegistrarSection,
    SecuritySection,
    ServerSection,
    StateSection,
    StorageSection,
    TimersSection,
    TlsSection,
    TransportSection,
)

MAX_DELTA_SECONDS = 2**32 - 1  # RFC 3261 §20.19: Expires is a 32-bit delta-seconds
QOPS = ("auth", "auth-int")
LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json", "logfmt")
MODES = ("proxy", "redirect")
MAX_FORWARD_HOPS = 20
MIN_TIMER_C = 180  # RFC 3261 §16.6 step 11: "greater than 3 minutes"; ProxyConfig agrees

SECTIONS: dict[str, tuple[type, dict[str, c.Checker]]] = {
    "server": (
        ServerSection,
        {
            "data_dir": c.nonempty_string,
            "domains": c.array(c.domain),
            "listen": c.array(c.listen, nonempty=True),
        },
    ),
    "tls": (
        TlsSection,
        {"cert": c.string, "key": c.string, "ca": c.string, "verify_client": c.boolean},
    ),
    "transport": (
        TransportSection,
        {
            "max_message_size": c.integer(1024, 16 * 1024 * 1024),
            "idle_timeout": c.positive_number,
            "max_connections_per_ip": c.integer(1),
            "udp_mtu_limit": c.integer(576, 65535),
        },
    ),
    "timers": (
        TimersSection,
        {"t1": c.positive_number, "t2": c.positive_number, "t4": c.positive_number},
    ),
    "registrar": (
        RegistrarSection,
        {
            "min_expires": c.integer(1),
            "max_expires": c.integer(1, MAX_DELTA_SECONDS),
            "default_expires": c.integer(1),
            "max_contacts": c.integer(1),
        },
    ),
    "proxy": (
        ProxySection,
        {
            "mode": c.choice(MODES),
            "record_route": c.boolean,
            "timer_c": c.integer(MIN_TIMER_C),
            "recurse_on_3xx": c.boolean,
            "max_forward_hops": c.integer(1, MAX_FORWARD_HOPS),
        },
    ),
    "auth": (
        AuthSection,
        {
            "algorithms": c.array(c.choice(ALGORITHMS), nonempty=True),
            "qop": c.array(c.choice(QOPS), nonempty=True),
            "nonce_ttl": c.positive_number,
            "identity_exempt": c.array(c.address),
            "authenticate_calls": c.boolean,
        },
    ),
    "log": (LogSection, {"level": c.choice(LEVELS), "format": c.choice(FORMATS)}),
    "security": (
        SecuritySection,
        {
            "enabled": c.boolean,
            "flood_window": c.positive_number,
            "flood_register": c.integer(1),
            "flood_invite": c.integer(1),
            "flood_options": c.integer(1),
            "flood_other": c.integer(1),
            "ban_seconds": c.positive_number,
            "ban_growth": sc.factor,
            "ban_max_seconds": c.positive_number,
            "offence_memory": c.positive_number,
            "auth_failures": c.integer(1),
            "auth_window": c.positive_number,
            "auth_ban_seconds": c.positive_number,
            "account_failures": c.integer(1),
            "account_window": c.positive_number,
            "account_lock_seconds": c.positive_number,
            "scanner_user_agents": c.array(sc.user_agent),
            "extra_scanner_user_agents": c.array(sc.user_agent),
            "unknown_users": c.integer(1),
            "unknown_users_window": c.positive_number,
            "options_sweep": c.integer(1),
            "options_sweep_window": c.positive_number,
            "max_concurrent_calls": c.integer(1),
            "max_call_attempts_per_minute": c.integer(1),
            "max_call_seconds": c.positive_number,
            "deny_prefixes": c.array(sc.prefix),
            "international_access_code": sc.access_code,
            "national_prefixes": c.array(sc.prefix),
            "international_prefixes": c.array(sc.prefix),
            "premium_prefixes": c.array(sc.prefix),
            "allowed_classes": c.array(c.choice(sc.DESTINATION_CLASS_NAMES)),
            "account_classes": c.array(sc.account_classes),
            "alert_window": c.positive_number,
            "alert_factor": sc.factor,
            "alert_min_attempts": c.integer(1),
            "alert_smoothing": sc.fraction,
            "allow": c.array(sc.network),
            "trusted_peers": c.array(sc.ip),
            "max_tracked": c.integer(100),
            "max_bans": c.integer(100),
        },
    ),
    "admin": (
        AdminSection,
        {
            "enabled": c.boolean,
            "listen": ac.listen,
            "token_file": c.string,
            "basic_user": c.string,
            "basic_password_file": c.string,
        },
    ),
    "dns": (
        DnsSection,
        {"nameservers": c.array(dc.nameserver), "timeout": c.positive_number},
    ),
    "hep": (
        HepSection,
        {
            "enabled": c.boolean,
            "collector": oc.collector,
            "agent_id": c.integer(0, oc.MAX_AGENT_ID),
            "password": c.string,
        },
    ),
    "cdr": (
        CdrSection,
        {
            "enabled": c.boolean,
            "csv": c.boolean,
            "database": c.boolean,
            "max_duration": c.positive_number,
            "flush_interval": oc.flush_interval,
        },
    ),
    "storage": (StorageSection, {"url": stc.storage_url}),
    "state": (StateSection, {"url": stc.state_url, "prefix": stc.key_prefix}),
}

PATH_KEYS = {
    ("server", "data_dir"),
    ("tls", "cert"),
    ("tls", "key"),
    ("tls", "ca"),
    ("admin", "token_file"),
    ("admin", "basic_password_file"),
}
