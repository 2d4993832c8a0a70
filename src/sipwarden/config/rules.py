"""Checks that involve more than one key, run on the assembled configuration."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from sipwarden.config.model import (
    Config,
    RegistrarSection,
    SecuritySection,
    ServerSection,
    TimersSection,
    TlsSection,
)
from sipwarden.transport.listen import ListenSpec


@dataclass(frozen=True, slots=True)
class Problem:
    """`message` about `section`; the error points at the first of `keys` set in the file."""

    section: str
    keys: tuple[str, ...]
    message: str


def problems(config: Config) -> Iterator[Problem]:
    """Every cross-key problem, in section order."""
    yield from _server(config.server)
    yield from _tls(config.tls)
    yield from _timers(config.timers)
    yield from _registrar(config.registrar)
    yield from _security(config.security)


def _server(server: ServerSection) -> Iterator[Problem]:
    for first, second in combinations(server.listen, 2):
        if _same_socket(first, second):
            yield Problem(
                "server",
                ("listen",),
                f"listen specs '{first}' and '{second}' would bind the same"
                f" {_socket(first)} port {first.port}",
            )


def _socket(spec: ListenSpec) -> str:
    return "UDP" if spec.proto == "udp" else "TCP"  # tls, ws and wss run over TCP


def _wildcard(spec: ListenSpec) -> bool:
    return ipaddress.ip_address(spec.host).is_unspecified


def _same_socket(a: ListenSpec, b: ListenSpec) -> bool:
    """Two listeners that would bind the same port: one of them could not start."""
    if a.port == 0 or a.port != b.port or _socket(a) != _socket(b):
        return False
    if ipaddress.ip_address(a.host).version != ipaddress.ip_address(b.host).version:
        return False
    return a.host == b.host or _wildcard(a) or _wildcard(b)


def _tls(tls: TlsSection) -> Iterator[Problem]:
    if bool(tls.cert) != bool(tls.key):
        yield Problem(
            "tls",
            ("cert", "key"),
            "cert and key go together: set both, or neither for a "
            "self-signed pair in the data directory",
        )
    if tls.verify_client and not tls.ca:
        yield Problem(
            "tls",
            ("verify_client", "ca"),
            "verify_client = true needs ca, the bundle that "
            "client certificates are verified against",
        )


def _timers(timers: TimersSection) -> Iterator[Problem]:
    if timers.t2 < timers.t1:  # RFC 3261 §17.1.2.2: T2 caps the doubling of T1
        yield Problem("timers", ("t2", "t1"), f"t2 ({timers.t2}) is less than t1 ({timers.t1})")


def _registrar(r: RegistrarSection) -> Iterator[Problem]:
    if r.min_expires > r.max_expires:
        yield Problem(
            "registrar",
            ("min_expires", "max_expires"),
            f"min_expires ({r.min_expires}) is greater than max_expires ({r.max_expires})",
        )
    elif not r.min_expires <= r.default_expires <= r.max_expires:
        yield Problem(
            "registrar",
            ("default_expires", "min_expires", "max_expires"),
            f"default_expires ({r.default_expires}) is not within min_expires..max_expires"
            f" ({r.min_expires}..{r.max_expires})",
        )


def _security(s: SecuritySection) -> Iterator[Problem]:
    if s.ban_max_seconds < s.ban_seconds:
        yield Problem(
            "security",
            ("ban_max_seconds", "ban_seconds"),
            f"ban_max_seconds ({s.ban_max_seconds:g}) is less than ban_seconds ({s.ban_seconds:g})",
        )
    elif s.ban_max_seconds < s.auth_ban_seconds:
        yield Problem(
            "security",
            ("ban_max_seconds", "auth_ban_seconds"),
            f"ban_max_seconds ({s.ban_max_seconds:g}) is less than auth_ban_seconds"
            f" ({s.auth_ban_seconds:g})",
        )
    agents = [a.lower() for a in (*s.scanner_user_agents, *s.extra_scanner_user_agents)]
    twice = sorted({a for a in agents if agents.count(a) > 1})
    if twice:
        yield Problem(
            "security",
            ("extra_scanner_user_agents",),
            f"extra_scanner_user_agents repeats {twice[0]!r} of scanner_user_agents",
        )
