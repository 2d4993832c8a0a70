"""Which URIs are ours: served domains and the proxy's own addresses.

RFC 3261 §16.4 and §10.3 step 1: a Request-URI is for this element when its host is a domain
it is responsible for or one of its own addresses; sipwarden ignores the port for that decision
(a phone that writes `sip:alice@example.com:5080` still means the domain). A Contact, though,
points at the proxy itself only when host AND port are one of its listeners: registering
that would route calls back into the proxy forever (§10.3's loop concern, RFC 3261 §16.3 item 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sipwarden.sip import SipUri
from sipwarden.sip.hosts import normalize_host
from sipwarden.sip.uri import Uri
from sipwarden.transport.routing import default_port


@dataclass(frozen=True, slots=True)
class Locality:
    """The domains this proxy serves and the (host, port, transport) it listens on."""

    domains: frozenset[str]
    addresses: frozenset[str]
    sockets: frozenset[tuple[str, int]]

    @classmethod
    def build(
        cls, domains: Iterable[str], sockets: Iterable[tuple[str, int]], extra: Iterable[str] = ()
    ) -> Locality:
        """`sockets` are listener (host, port) pairs; `extra` more addresses of this host
        (the interface addresses behind a wildcard listener)."""
        pairs = frozenset((normalize_host(host), port) for host, port in sockets)
        addresses = {host for host, _ in pairs} | {normalize_host(a) for a in extra}
        addresses -= {"0.0.0.0", "::"}
        return cls(frozenset(normalize_host(d) for d in domains), frozenset(addresses), pairs)

    def is_domain(self, host: str) -> bool:
        """True when `host` is a served domain or one of our addresses."""
        name = normalize_host(host)
        return name in self.domains or name in self.addresses

    def is_local(self, uri: Uri) -> bool:
        """A SIP(S) URI whose host is ours, whatever its port (RFC 3261 §16.4)."""
        return isinstance(uri, SipUri) and self.is_domain(uri.host)

    def is_self(self, uri: Uri) -> bool:
        """A SIP(S) URI that reaches one of our listeners: its host is a served domain or one of
        our addresses and its port (or the transport's default, §19.1.2) one we listen on."""
        if not isinstance(uri, SipUri) or not self.is_domain(uri.host):
            return False
        transport = uri.transport or ("tls" if uri.secure else "udp")
        port = uri.port if uri.port is not None else default_port(transport)
        ports = {p for _, p in self.sockets}
        host = normalize_host(uri.host)
        if host in self.domains:
            return port in ports
        wildcard = {p for h, p in self.sockets if h in ("0.0.0.0", "::")}
        return (host, port) in self.sockets or port in wildcard
