"""Trusted peers: trunks recognised by source address and/or TLS certificate (pure).

A peer matches when every criterion it sets holds: the source address is in one of its
`source` networks (if set), and the TLS peer presents one of its `tls_names` (certificate
subject CN or subjectAltName DNS names, compared without regard to case) or `tls_fingerprints`
(if either is set). Peers are tried in order; the first match wins. Requests from a trusted
peer skip the digest challenge; `destinations`, when set, limits the Request-URI users it may
call (patterns that must match the whole user).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sipwarden.routing.match import Network


def fingerprint(text: str) -> str:
    """A certificate fingerprint as `sha256:HEX` in upper case without colons."""
    algorithm, _, digest = text.partition(":")
    return f"{algorithm.lower()}:{digest.replace(':', '').upper()}"


@dataclass(frozen=True, slots=True)
class TrustedPeer:
    name: str
    networks: tuple[Network, ...] = ()
    tls_names: frozenset[str] = frozenset()
    tls_fingerprints: frozenset[str] = frozenset()
    destinations: tuple[re.Pattern[str], ...] = ()
    line: int | None = None

    def matches(self, source_ip: str, tls_peer_names: Iterable[str]) -> bool:
        if self.networks and not _in(source_ip, self.networks):
            return False
        if self.tls_names or self.tls_fingerprints:
            return any(self._cert(name) for name in tls_peer_names)
        return True

    def _cert(self, name: str) -> bool:
        if name.lower() in self.tls_names:
            return True
        return ":" in name and fingerprint(name) in self.tls_fingerprints

    def allows(self, ruri_user: str | None) -> bool:
        """Whether the peer may call a Request-URI with this user part."""
        if not self.destinations:
            return True
        return ruri_user is not None and any(p.fullmatch(ruri_user) for p in self.destinations)


@dataclass(frozen=True, slots=True)
class TrustTable:
    peers: tuple[TrustedPeer, ...] = ()

    def match(self, source_ip: str, tls_peer_names: Iterable[str] = ()) -> TrustedPeer | None:
        """The first peer `source_ip` and the TLS peer's names (subject CN, SAN DNS names and
        the certificate fingerprint as `sha256:HEX`) match, else None."""
        names = tuple(tls_peer_names)
        return next((p for p in self.peers if p.matches(source_ip, names)), None)


def _in(source_ip: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    return any(address.version == n.version and address in n for n in networks)
