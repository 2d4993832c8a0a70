"""Which URIs are ours: served domains and the proxy's own addresses.

RFC 3261 §16.4 and §10.3 step 1: a Request-URI is for this element when its host is a domain
it is responsible for or one of its own addresses; sipwarden ignores the port for that decision
(a phone that writes `sip:alice@example.com:5080` still means the domain). A Contact, though,
points at the proxy itself only when host AND port are one of its listeners: registering
that would route calls back into the proxy forever (§10.3's loop concern, RFC 3261 §16.3 item 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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
    # Derived once (every REGISTER asks): the members `normalize_host` leaves as they are, so
    # a host equal to one of them is ours without normalizing it; the listening ports; those
    # of wildcard listeners.
    _plain: frozenset[str] = field(init=False, repr=False, compare=False)
    _ports: frozenset[int] = field(init=False, repr=False, compare=False)
    _wildcard_ports: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ours = self.domains | self.addresses
        plain = frozenset(name for name in ours if normalize_host(name) == name)
        wildcard = frozenset(p for h, p in self.sockets if h in ("0.0.0.0", "::"))
        object.__setattr__(self, "_plain", plain)
        object.__setattr__(self, "_ports", frozenset(p for _, p in self.sockets))
        object.__setattr__(self, "_wildcard_ports", wildcard)

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
        if host in self._plain:
            return True
        name = normalize_host(host)
        return name in self.domains or name in self.addresses

    def is_local(self, uri: Uri) -> bool:
        """A SIP(S) URI whose host is ours, whatever its port (RFC 3261 §16.4)."""
        return isinstance(uri, SipUri) and self.is_domain(uri.host)

    def is_self(self, uri: Uri) -> bool:
        """A SIP(S) URI that reaches one of our listeners: its host is a served domain or one of
        our addresses and its port (or the transport's default, §19.1.2) one we listen on."""
        if not isinstance(uri, SipUri):
            return False
        host = normalize_host(uri.host)
        if host not in self.domains and host not in self.addresses:
            return False
        transport = uri.transport or ("tls" if uri.secure else "udp")
        port = uri.port if uri.port is not None else default_port(transport)
        if host in self.domains:
            return port in self._ports
        return (host, port) in self.sockets or port in self._wildcard_ports
