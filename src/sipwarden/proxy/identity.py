"""What the proxy knows about itself: its interfaces (one per transport and address family),
which URIs are its own, and the secret its branch hashes are keyed with.

Record-Route URIs (RFC 3261 §16.6 step 4) name the interface a request leaves or enters by:
`sip:<host>:<port>;transport=<t>;lr` for UDP (no transport parameter), TCP and WS. For TLS
and WSS the URI is `sips:` (RFC 5630 §3.1.3 deprecates `transport=tls`; a SIPS Record-Route
keeps TLS on every hop of the dialog, which is what RFC 5630 §4.3 asks of a proxy that
received the request over TLS), with `transport=ws` kept for WSS (RFC 7118 §5.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sipwarden.errors import LocalError
from sipwarden.sip.hosts import normalize_host
from sipwarden.sip.uri import SipUri, Uri, parse_uri
from sipwarden.sip.via import Via

Flow = tuple[str, str]  # (transport "udp"/"tcp"/"tls"/"ws"/"wss", family "ipv4"/"ipv6")
TRANSPORTS = ("udp", "tcp", "tls", "ws", "wss")
FAMILIES = ("ipv4", "ipv6")


def _default_port(transport: str) -> int:
    """RFC 3261 §19.1.2 (and RFC 7118 for WSS): 5061 for TLS and WSS, else 5060."""
    return 5061 if transport.lower() in ("tls", "wss") else 5060


@dataclass(frozen=True, slots=True)
class Interface:
    """One way out of (and into) the proxy: `host` as written in Via and Record-Route (a
    name or an address; IPv6 with brackets), `port` the listener's port.

    Built once at start-up and read for every message (loop detection, Route and Via checks,
    the Via and Record-Route we add), so what those reads derive from the fields is worked out
    here once: `flow`, `sent_by`, the host as compared, the Via's start and both Record-Route
    URIs."""

    transport: str
    family: str
    host: str
    port: int
    flow: Flow = field(init=False, repr=False, compare=False)
    sent_by: str = field(init=False, repr=False, compare=False)
    _host_key: str = field(init=False, repr=False, compare=False)
    _via_head: str = field(init=False, repr=False, compare=False)
    _record_routes: tuple[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS or self.family not in FAMILIES:
            raise LocalError(f"unknown interface {self.transport}/{self.family}")
        sent_by = f"{self.host}:{self.port}"
        uri_transport = "ws" if self.transport == "wss" else self.transport
        param = "" if self.transport in ("udp", "tls") else f";transport={uri_transport}"
        scheme = "sips" if self.transport in ("tls", "wss") else "sip"
        # A frozen dataclass: the derived values are set the way its own __init__ sets fields.
        object.__setattr__(self, "flow", (self.transport, self.family))
        object.__setattr__(self, "sent_by", sent_by)
        object.__setattr__(self, "_host_key", normalize_host(self.host))
        object.__setattr__(self, "_via_head", f"SIP/2.0/{self.transport.upper()} {sent_by};branch=")
        object.__setattr__(
            self, "_record_routes", (f"{scheme}:{sent_by}{param};lr", f"sips:{sent_by}{param};lr")
        )

    def via(self, branch: str) -> str:
        """The Via we add (§16.6 step 8) with `rport` (RFC 3581 §3) so the response comes back
        to the port we sent from."""
        return f"{self._via_head}{branch};rport"

    def record_route(self, *, secure: bool = False) -> str:
        """The Record-Route URI for this interface (see the module docstring). `secure`: the
        request needs a SIPS URI (§16.6 step 4: SIPS Request-URI or top Route)."""
        return self._record_routes[1 if secure else 0]

    def matches(self, host: str, port: int | None, transport: str) -> bool:
        port = port if port is not None else _default_port(transport)
        return port == self.port and normalize_host(host) == self._host_key


@dataclass(frozen=True, slots=True)
class ProxyIdentity:
    """`interfaces`: one per (transport, family) the proxy sends on. `is_self`: the server's
    `Locality.is_self` (a URI reaching one of our listeners). `secret`: keys the branch hash
    (§16.6 step 8), so nobody else can forge one of our branches."""

    interfaces: tuple[Interface, ...]
    is_self: Callable[[Uri], bool]
    secret: bytes

    def __post_init__(self) -> None:
        if not self.interfaces:
            raise LocalError("a proxy needs at least one interface")
        if len(self.secret) < 16:
            raise LocalError("the branch secret must be at least 16 bytes")
        if len({i.flow for i in self.interfaces}) != len(self.interfaces):
            raise LocalError("one interface per transport and family")

    def interface(self, flow: Flow) -> Interface:
        for interface in self.interfaces:
            if interface.flow == flow:
                return interface
        raise LocalError(f"no interface for {flow[0]}/{flow[1]}")

    def is_record_route(self, uri: Uri) -> bool:
        """True for a URI we put in Record-Route (§16.4: the strict-router check): no user
        part, and the host and port of one of our interfaces."""
        if not isinstance(uri, SipUri) or uri.user is not None:
            return False
        transport = uri.transport or ("tls" if uri.secure else "udp")
        return any(i.matches(uri.host, uri.port, transport) for i in self.interfaces)

    def owns(self, uri: Uri) -> bool:
        """A Route value that indicates this proxy (§16.4): ours or one of our addresses."""
        return self.is_record_route(uri) or self.is_self(uri)

    def owns_text(self, text: str) -> bool:
        return self.owns(parse_uri(text))

    def is_own_via(self, via: Via) -> bool:
        """§16.3 item 4: a Via carrying one of our sent-by values."""
        return any(i.matches(via.host, via.port, via.transport) for i in self.interfaces)
