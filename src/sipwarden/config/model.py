"""The configuration as frozen dataclasses of plain values; the defaults live here.

`Config()` is the configuration with every default; `load_config` fills it from a TOML file
and the command-line `Overrides`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sipwarden.security.defaults import (
    DEFAULT_DENY_PREFIXES,
    DEFAULT_PREMIUM_PREFIXES,
    DEFAULT_SCANNER_USER_AGENTS,
)
from sipwarden.transport.listen import ListenSpec, parse_listen

DEFAULT_LISTEN = tuple(
    parse_listen(spec) for spec in ("udp:0.0.0.0:5060", "tcp:0.0.0.0:5060", "tls:0.0.0.0:5061")
)


@dataclass(frozen=True, slots=True)
class ServerSection:
    """[server]: where state is kept, which domains are ours, where to listen."""

    data_dir: str = "./sipwarden-data"
    domains: tuple[str, ...] = ()
    listen: tuple[ListenSpec, ...] = DEFAULT_LISTEN


@dataclass(frozen=True, slots=True)
class TlsSection:
    """[tls]: PEM paths; empty cert and key mean a self-signed pair in the data directory."""

    cert: str = ""
    key: str = ""
    ca: str = ""
    verify_client: bool = False


@dataclass(frozen=True, slots=True)
class TransportSection:
    """[transport]: size limits and connection limits."""

    max_message_size: int = 65535
    idle_timeout: float = 600.0
    max_connections_per_ip: int = 64
    udp_mtu_limit: int = 1300  # RFC 3261 §18.1.1


@dataclass(frozen=True, slots=True)
class TimersSection:
    """[timers]: RFC 3261 §17.1.1.1 T1, T2 and T4, in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0


@dataclass(frozen=True, slots=True)
class RegistrarSection:
    """[registrar]: REGISTER expiry bounds (RFC 3261 §10.3) and contacts per address of record."""

    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600
    max_contacts: int = 10


@dataclass(frozen=True, slots=True)
class ProxySection:
    """[proxy]: how requests for local users are routed (RFC 3261 §16, redirect per §8.3)."""

    mode: str = "proxy"
    record_route: bool = True
    timer_c: int = 180  # RFC 3261 §16.6 step 11
    recurse_on_3xx: bool = True
    max_forward_hops: int = 5


@dataclass(frozen=True, slots=True)
class AuthSection:
    """[auth]: digest challenges (RFC 7616, RFC 8760) and From-identity exemptions."""

    algorithms: tuple[str, ...] = ("MD5", "SHA-256")
    qop: tuple[str, ...] = ("auth",)
    nonce_ttl: float = 300.0
    identity_exempt: tuple[str, ...] = ()
    authenticate_calls: bool = True


@dataclass(frozen=True, slots=True)
class LogSection:
    """[log]: level and line format."""

    level: str = "info"
    format: str = "text"


ROUTING_TABLES = ("rules", "gateways", "lcr", "trusted")


@dataclass(frozen=True, slots=True)
class RoutingSource:
    """`[[rules]]`, `[gateways.NAME]`, `[lcr]` and `[[trusted]]` as written in the file.

    `load_config` only collects them; `sipwarden.routing.compile_rules(config)` checks and
    compiles them (errors `FILE:LINE: ...`, found again in `text`), so a reload can keep the
    running rules when the new ones are wrong. `tables`: (name, parsed TOML value) pairs.
    """

    path: str | None = field(default=None, compare=False)
    text: str = field(default="", compare=False)
    tables: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class SecuritySection:
    """[security]: the shield's thresholds (docs/security.md); `SecurityConfig.from_section`."""

    enabled: bool = True
    flood_window: float = 10.0
    flood_register: int = 30
    flood_invite: int = 20
    flood_options: int = 20
    flood_other: int = 50
    ban_seconds: float = 60.0
    ban_growth: float = 2.0
    ban_max_seconds: float = 86400.0
    offence_memory: float = 86400.0
    auth_failures: int = 10
    auth_window: float = 60.0
    auth_ban_seconds: float = 600.0
    account_failures: int = 20
    account_window: float = 300.0
    account_lock_seconds: float = 300.0
    scanner_user_agents: tuple[str, ...] = DEFAULT_SCANNER_USER_AGENTS
    extra_scanner_user_agents: tuple[str, ...] = ()
    unknown_users: int = 10
    unknown_users_window: float = 60.0
    options_sweep: int = 10
    options_sweep_window: float = 60.0
    max_concurrent_calls: int = 10
    max_call_attempts_per_minute: int = 30
    max_call_seconds: float = 14400.0
    deny_prefixes: tuple[str, ...] = DEFAULT_DENY_PREFIXES
    international_access_code: str = "00"
    national_prefixes: tuple[str, ...] = ("0",)
    international_prefixes: tuple[str, ...] = ("+",)
    premium_prefixes: tuple[str, ...] = DEFAULT_PREMIUM_PREFIXES
    allowed_classes: tuple[str, ...] = ("local", "national", "international")
    account_classes: tuple[str, ...] = ()
    alert_window: float = 60.0
    alert_factor: float = 5.0
    alert_min_attempts: int = 10
    alert_smoothing: float = 0.3
    allow: tuple[str, ...] = ()
    trusted_peers: tuple[str, ...] = ()
    max_tracked: int = 50000
    max_bans: int = 100000


@dataclass(frozen=True, slots=True)
class AdminSection:
    """[admin]: the admin HTTP API and dashboard (docs/admin.md). Off loopback it needs the
    token (`token_file`, default DATA_DIR/admin.token) or basic auth."""

    enabled: bool = True
    listen: str = "127.0.0.1:8088"
    token_file: str = ""
    basic_user: str = ""
    basic_password_file: str = ""


@dataclass(frozen=True, slots=True)
class DnsSection:
    """[dns]: where RFC 3263 lookups go (docs/dns.md); no name servers: the system's."""

    nameservers: tuple[str, ...] = ()
    timeout: float = 2.0


@dataclass(frozen=True, slots=True)
class HepSection:
    """[hep]: a HEP v3 copy of every SIP message to a Homer collector over UDP (docs/hep.md)."""

    enabled: bool = False
    collector: str = "127.0.0.1:9060"
    agent_id: int = 1
    password: str = ""


@dataclass(frozen=True, slots=True)
class CdrSection:
    """[cdr]: call detail records, to DATA_DIR/cdr/*.csv and the database (docs/cdr.md)."""

    enabled: bool = True
    csv: bool = True
    database: bool = True
    max_duration: float = 14400.0
    flush_interval: float = 1.0  # seconds records wait to be written together; 0: at once


@dataclass(frozen=True, slots=True)
class StorageSection:
    """[storage]: where users and forwarding live: empty for the data directory's SQLite file,
    `sqlite:///PATH`, or `postgresql://USER@HOST:PORT/DB` for a cluster (docs/cluster.md)."""

    url: str = ""


@dataclass(frozen=True, slots=True)
class StateSection:
    """[state]: where bindings, nonce counts and bans live: empty for the data directory's
    SQLite file, `sqlite:///PATH`, or `redis://HOST:PORT/DB` shared by a cluster, with every
    key under `prefix` (docs/cluster.md)."""

    url: str = ""
    prefix: str = "sipwarden:"


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration, one attribute per section."""

    server: ServerSection = field(default_factory=ServerSection)
    tls: TlsSection = field(default_factory=TlsSection)
    transport: TransportSection = field(default_factory=TransportSection)
    timers: TimersSection = field(default_factory=TimersSection)
    registrar: RegistrarSection = field(default_factory=RegistrarSection)
    proxy: ProxySection = field(default_factory=ProxySection)
    auth: AuthSection = field(default_factory=AuthSection)
    log: LogSection = field(default_factory=LogSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    admin: AdminSection = field(default_factory=AdminSection)
    dns: DnsSection = field(default_factory=DnsSection)
    hep: HepSection = field(default_factory=HepSection)
    cdr: CdrSection = field(default_factory=CdrSection)
    storage: StorageSection = field(default_factory=StorageSection)
    state: StateSection = field(default_factory=StateSection)
    routing: RoutingSource = field(default_factory=RoutingSource)


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line flags that win over the file: `--data-dir`, `--domain`, `--listen`.

    A non-empty `domains` or `listen` replaces the file's list; the strings are checked like
    the file's values, and an error names the flag.
    """

    data_dir: str | None = None
    domains: tuple[str, ...] = ()
    listen: tuple[str, ...] = ()
    admin: str | None = None  # --admin HOST:PORT, replaces [admin] listen
    storage: str | None = None  # --storage URL, replaces [storage] url
    state: str | None = None  # --state URL, replaces [state] url
