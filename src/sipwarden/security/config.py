"""`SecurityConfig`: every threshold of the shield, as frozen, validated dataclasses.

The `[security]` section of the configuration file (flat keys, docs/configuration.md) is turned
into this by `SecurityConfig.from_section`; tests build it directly. The defaults are safe out of
the box and do not bother normal use (a phone registers every few minutes and places a few calls
a minute; the limits are ten times that).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sipwarden.security.defaults import (
    DEFAULT_DENY_PREFIXES,
    DEFAULT_PREMIUM_PREFIXES,
    DEFAULT_SCANNER_USER_AGENTS,
)
from sipwarden.sip.hosts import canonical_ip, is_ipv4

if TYPE_CHECKING:
    from sipwarden.config.model import SecuritySection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
METHOD_CLASSES = ("register", "invite", "options", "other")
DESTINATION_CLASSES = ("local", "national", "international", "premium")
VISUAL_SEPARATORS = " -.()"  # RFC 3966 §5.1.1 visual-separator


def normalize_number(text: str, access_code: str = "") -> str:
    """`text` without visual separators, with a leading `access_code` ("00") turned into "+"."""
    digits = "".join(ch for ch in text if ch not in VISUAL_SEPARATORS)
    if access_code and digits.startswith(access_code) and not digits.startswith("+"):
        return "+" + digits[len(access_code) :]
    return digits


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


@dataclass(frozen=True, slots=True)
class FloodConfig:
    """At most `register`/`invite`/`options`/`other` requests per `window` seconds per source
    address; the next one is a flood."""

    window: float = 10.0
    register: int = 30
    invite: int = 20
    options: int = 20
    other: int = 50

    def __post_init__(self) -> None:
        _positive("flood window", self.window)
        for name in METHOD_CLASSES:
            _positive(f"flood {name}", getattr(self, name))

    def limit(self, method_class: str) -> int:
        return int(getattr(self, method_class))


@dataclass(frozen=True, slots=True)
class BanConfig:
    """A ban lasts `seconds` (the reason's base) x `growth` ** (offences - 1), at most
    `max_seconds`; offences are remembered for `offence_memory` seconds after the last ban."""

    seconds: float = 60.0
    growth: float = 2.0
    max_seconds: float = 86400.0
    offence_memory: float = 86400.0

    def __post_init__(self) -> None:
        _positive("ban seconds", self.seconds)
        _positive("offence memory", self.offence_memory)
        if self.growth < 1:
            raise ValueError(f"ban growth must be >= 1, got {self.growth}")
        if self.max_seconds < self.seconds:
            raise ValueError("ban max_seconds must be >= ban seconds")

    def duration(self, base: float, offences: int) -> float:
        return min(base * self.growth ** max(offences - 1, 0), self.max_seconds)


@dataclass(frozen=True, slots=True)
class BruteForceConfig:
    """`address_failures` failed authentications from one address within `address_window`
    ban it (base `address_ban_seconds`); `account_failures` against one account from any
    addresses within `account_window` lock the account for `lock_seconds`."""

    address_failures: int = 10
    address_window: float = 60.0
    address_ban_seconds: float = 600.0
    account_failures: int = 20
    account_window: float = 300.0
    lock_seconds: float = 300.0

    def __post_init__(self) -> None:
        for name in self.__slots__:
            _positive(f"brute force {name}", getattr(self, name))


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    """Scanner User-Agent substrings, and scanner behaviour: `unknown_users` distinct unknown
    users probed, or OPTIONS to `options_targets` distinct targets, from one address within the
    window."""

    user_agents: tuple[str, ...] = DEFAULT_SCANNER_USER_AGENTS
    unknown_users: int = 10
    unknown_users_window: float = 60.0
    options_targets: int = 10
    options_window: float = 60.0

    def __post_init__(self) -> None:
        if any(not agent.strip() for agent in self.user_agents):
            raise ValueError("an empty scanner User-Agent would match every request")
        for name in ("unknown_users", "unknown_users_window", "options_targets", "options_window"):
            _positive(f"scanner {name}", getattr(self, name))

    def scanner_agent(self, user_agent: str) -> str | None:
        """The configured substring found in `user_agent` (case-insensitive), if any."""
        lowered = user_agent.lower()
        return next((agent for agent in self.user_agents if agent.lower() in lowered), None)


@dataclass(frozen=True, slots=True)
class FraudConfig:
    """Per-account call limits, destination rules and the baseline alert."""

    max_concurrent_calls: int = 10
    max_attempts_per_minute: int = 30
    max_call_seconds: float = 14400.0
    deny_prefixes: tuple[str, ...] = DEFAULT_DENY_PREFIXES
    international_access_code: str = "00"
    national_prefixes: tuple[str, ...] = ("0",)
    international_prefixes: tuple[str, ...] = ("+",)
    premium_prefixes: tuple[str, ...] = DEFAULT_PREMIUM_PREFIXES
    allowed_classes: tuple[str, ...] = ("local", "national", "international")
    account_classes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    alert_window: float = 60.0
    alert_factor: float = 5.0
    alert_min_attempts: int = 10
    alert_smoothing: float = 0.3

    def __post_init__(self) -> None:
        for name in ("max_concurrent_calls", "max_attempts_per_minute", "max_call_seconds"):
            _positive(name, getattr(self, name))
        _positive("alert_window", self.alert_window)
        _positive("alert_min_attempts", self.alert_min_attempts)
        if self.alert_factor < 1 or not 0 < self.alert_smoothing <= 1:
            raise ValueError("alert_factor must be >= 1 and alert_smoothing in (0, 1]")
        classes = [*self.allowed_classes, *(c for _, cs in self.account_classes for c in cs)]
        unknown = [c for c in classes if c not in DESTINATION_CLASSES]
        if unknown:
            raise ValueError(f"unknown destination class {unknown[0]!r}")

    def classes_of(self, account: str) -> tuple[str, ...]:
        """The destination classes `account` may call (its own entry, else the default)."""
        wanted = account.lower()
        own = (cs for name, cs in self.account_classes if name.lower() == wanted)
        return next(own, self.allowed_classes)


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """The shield's configuration; `allow` networks and `trusted_peers` are never counted,
    dropped or banned. `max_tracked` caps the addresses (and, separately, the accounts) with
    counters; `max_bans` the bans held; `max_events` the undrained events."""

    enabled: bool = True
    flood: FloodConfig = field(default_factory=FloodConfig)
    bans: BanConfig = field(default_factory=BanConfig)
    brute_force: BruteForceConfig = field(default_factory=BruteForceConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    fraud: FraudConfig = field(default_factory=FraudConfig)
    allow: tuple[Network, ...] = ()
    trusted_peers: tuple[str, ...] = ()
    max_tracked: int = 50_000
    max_bans: int = 100_000
    max_events: int = 10_000
    # The IPv4 networks of `allow` as (network, netmask) integers, for `exempt`.
    _ipv4_allow: tuple[tuple[int, int], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for name in ("max_tracked", "max_bans", "max_events"):
            _positive(name, getattr(self, name))
        peers = tuple(str(ipaddress.ip_address(peer)) for peer in self.trusted_peers)
        object.__setattr__(self, "trusted_peers", peers)
        ipv4 = tuple(
            (int(net.network_address), int(net.netmask)) for net in self.allow if net.version == 4
        )
        object.__setattr__(self, "_ipv4_allow", ipv4)

    def exempt(self, ip: str) -> bool:
        """An allow-listed or trusted source: never counted, dropped or banned.

        Asked for every request: an IPv4 source (no colon, sip/hosts.py) is tested with a
        regular expression and integer masks, as `IPv4Network.__contains__` does, because
        `ipaddress.ip_address` parses each octet in Python (the largest stdlib cost of a
        proxied call in benchmarks/hotpath.py). IPv6, IPv4-mapped IPv6 included, keeps the
        `ipaddress` path (a mapped address is version 6 and matches no IPv4 network)."""
        if ":" not in ip:
            if not is_ipv4(ip):
                return False
            if ip in self.trusted_peers:  # a valid IPv4 literal is its own canonical form
                return True
            if not self._ipv4_allow:
                return False
            a, b, c, d = ip.split(".")
            value = int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)
            for network, mask in self._ipv4_allow:  # noqa: SIM110  # any() adds a generator
                if value & mask == network:
                    return True
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if str(address) in self.trusted_peers:
            return True
        return any(address.version == net.version and address in net for net in self.allow)

    def trusted(self, ip: str) -> bool:
        """A trusted peer: its P-Asserted-Identity is believed (RFC 3325 §2.3 trust domain).

        `canonical_ip` (sip/hosts.py) answers `str(ipaddress.ip_address(ip))` without parsing
        IPv4 octets in Python; this runs for requests on the call path."""
        canonical = canonical_ip(ip)
        return canonical is not None and canonical in self.trusted_peers

    @classmethod
    def from_section(cls, s: SecuritySection) -> SecurityConfig:
        """The shield's configuration from the `[security]` section of the file."""
        return cls(
            enabled=s.enabled,
            flood=FloodConfig(
                s.flood_window, s.flood_register, s.flood_invite, s.flood_options, s.flood_other
            ),
            bans=BanConfig(s.ban_seconds, s.ban_growth, s.ban_max_seconds, s.offence_memory),
            brute_force=BruteForceConfig(
                s.auth_failures,
                s.auth_window,
                s.auth_ban_seconds,
                s.account_failures,
                s.account_window,
                s.account_lock_seconds,
            ),
            scanner=ScannerConfig(
                (*s.scanner_user_agents, *s.extra_scanner_user_agents),
                s.unknown_users,
                s.unknown_users_window,
                s.options_sweep,
                s.options_sweep_window,
            ),
            fraud=_fraud(s),
            allow=tuple(ipaddress.ip_network(net, strict=False) for net in s.allow),
            trusted_peers=s.trusted_peers,
            max_tracked=s.max_tracked,
            max_bans=s.max_bans,
        )


def _fraud(s: SecuritySection) -> FraudConfig:
    code = s.international_access_code

    def prefixes(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalize_number(value, code) for value in values)

    return FraudConfig(
        max_concurrent_calls=s.max_concurrent_calls,
        max_attempts_per_minute=s.max_call_attempts_per_minute,
        max_call_seconds=s.max_call_seconds,
        deny_prefixes=prefixes(s.deny_prefixes),
        international_access_code=code,
        national_prefixes=prefixes(s.national_prefixes),
        international_prefixes=prefixes(s.international_prefixes),
        premium_prefixes=prefixes(s.premium_prefixes),
        allowed_classes=s.allowed_classes,
        account_classes=tuple(parse_account_classes(entry) for entry in s.account_classes),
        alert_window=s.alert_window,
        alert_factor=s.alert_factor,
        alert_min_attempts=s.alert_min_attempts,
        alert_smoothing=s.alert_smoothing,
    )


def parse_account_classes(entry: str) -> tuple[str, tuple[str, ...]]:
    """`"alice@example.com=local,national"` -> ("alice@example.com", ("local", "national"))."""
    account, sep, rest = entry.partition("=")
    classes = tuple(c.strip().lower() for c in rest.split(",") if c.strip())
    if not sep or not account.strip() or "@" not in account:
        raise ValueError(f"expected USER@DOMAIN=CLASS,CLASS, got {entry!r}")
    unknown = [c for c in classes if c not in DESTINATION_CLASSES]
    if unknown:
        raise ValueError(
            f"unknown destination class {unknown[0]!r} (expected {', '.join(DESTINATION_CLASSES)})"
        )
    return account.strip().lower(), classes
