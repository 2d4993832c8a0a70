"""The configuration as frozen dataclasses of plain values; the defaults live here.

`Config()` is the configuration with every default; `load_config` fills it from a TOML file
and the command-line `Overrides`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line flags that win over the file: `--data-dir`, `--domain`, `--listen`.

    A non-empty `domains` or `listen` replaces the file's list; the strings are checked like
    the file's values, and an error names the flag.
    """

    data_dir: str | None = None
    domains: tuple[str, ...] = ()
    listen: tuple[str, ...] = ()
