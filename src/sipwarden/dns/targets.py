"""RFC 3263 §4 as pure data: from a SIP URI and DNS answers to the ordered places to try.

How this works: the resolver asks these functions what to look up, one step at a time, and
then hands every answer to `plan`, which builds the candidate list. No I/O, clock or
randomness here: expiry times arrive on the records, the random draw is a parameter.

- §4.1 transport: the `transport` parameter wins; a numeric host or an explicit port means
  UDP (TLS for SIPS) without DNS for the transport; otherwise NAPTR records whose service we
  support, sorted by order then preference (a SIPS URI keeps only "SIPS+" services). With no
  usable NAPTR, SRV queries for each supported transport in our preference order; with no SRV
  either, UDP (TLS for SIPS) to the A/AAAA of the host.
- §4.2 address and port: a numeric host is used as is; an explicit port means A/AAAA of the
  host at that port; else the SRV records (priority, then RFC 2782 weighted order), each
  target's A/AAAA at the SRV port; with no SRV, the host's A/AAAA at the default port.
- §4.3 failover: the result is the whole ordered list (every NAPTR, SRV target and address,
  duplicates removed), so the caller can move to the next element on a 503, a timeout or a
  transport error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sipwarden.sip import SipUri
from sipwarden.sip.hosts import canonical_ip
from sipwarden.sip.uri import Uri
from sipwarden.transport.address import Address
from sipwarden.transport.routing import default_port

Draw = Callable[[int, int], int]
"""A uniform random integer in [a, b], both included (like `random.Random.randint`)."""

# RFC 3263 §4.1 and the IANA "SIP NAPTR services" registry (RFC 7118 adds D2W).
SERVICES = {
    "SIP+D2U": "UDP",
    "SIP+D2T": "TCP",
    "SIPS+D2T": "TLS",
    "SIP+D2S": "SCTP",
    "SIP+D2W": "WS",
    "SIPS+D2W": "WSS",
}
SECURE = frozenset({"TLS", "WSS"})
PARAMS = {"udp": "UDP", "tcp": "TCP", "tls": "TLS", "sctp": "SCTP", "ws": "WS", "wss": "WSS"}
# RFC 3263 §4.1/§4.2: "_sip" for SIP, "_sips" for SIPS and for TLS on a SIP URI.
SRV_LABELS = {
    "UDP": "_sip._udp",
    "TCP": "_sip._tcp",
    "TLS": "_sips._tcp",
    "SCTP": "_sip._sctp",
    "WS": "_sip._ws",
    "WSS": "_sips._ws",
}
# Transports probed by SRV when there is no usable NAPTR: RFC 3263 names UDP, TCP and TLS;
# WebSocket servers are found through NAPTR (RFC 7118) or an explicit transport.
PROBED = ("UDP", "TCP", "TLS", "SCTP")
DEFAULT_TRANSPORTS = ("UDP", "TCP", "TLS", "WS", "WSS")


@dataclass(frozen=True, slots=True)
class Naptr:
    """One NAPTR record (RFC 3403 §4.1); `replacement` is a lower-case name without the dot."""

    order: int
    preference: int
    flags: str
    service: str
    replacement: str
    expires: float | None = None


@dataclass(frozen=True, slots=True)
class Srv:
    """One SRV record (RFC 2782); a `target` of "." means "decidedly not available"."""

    priority: int
    weight: int
    port: int
    target: str
    expires: float | None = None


@dataclass(frozen=True, slots=True)
class Ip:
    """One A or AAAA answer: the address as text, and when it stops being valid."""

    ip: str
    expires: float | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place to try: transport, the host name it came from (for TLS), IP and port.

    `expires` is the earliest expiry among the records that led here (None when no DNS
    record did: IP literals and /etc/hosts names).
    """

    transport: str
    host: str
    ip: str
    port: int
    expires: float | None = None

    @property
    def address(self) -> Address:
        return Address(self.transport, self.ip, self.port)


@dataclass(frozen=True, slots=True)
class SrvQuery:
    """An SRV name to look up, the transport it stands for, and the NAPTR expiry behind it."""

    transport: str
    name: str
    expires: float | None = None


def normalize(name: str) -> str:
    """DNS names compare case-insensitively; we keep them lower-case, without the root dot."""
    return name.lower().rstrip(".")


def target(uri: SipUri) -> str:
    """RFC 3263 §4: TARGET is `maddr` when present, else the host (brackets removed)."""
    host = uri.maddr or uri.host
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return normalize(host)


def literal_ip(uri: SipUri) -> str | None:
    """The TARGET as a normalized IP address, or None when it is a name.

    Asked for each forwarded request: `canonical_ip` (sip/hosts.py) is
    `str(ipaddress.ip_address(...))` without parsing IPv4 octets in Python."""
    return canonical_ip(target(uri))


def explicit_transport(uri: SipUri) -> str | None:
    """§4.1: the `transport` parameter, secured for SIPS (tcp -> TLS, ws -> WSS); "" when a
    SIPS URI asks for a transport TLS cannot run over (udp, sctp); None when absent."""
    param = uri.transport
    if param is None:
        return None
    name = PARAMS.get(param)
    if name is None:
        return ""
    if uri.secure:
        return {"TCP": "TLS", "TLS": "TLS", "WS": "WSS", "WSS": "WSS"}.get(name, "")
    return name


def uses_naptr(uri: SipUri) -> bool:
    """§4.1: NAPTR only when there is no transport parameter, no port and no numeric host."""
    return uri.transport is None and uri.port is None and literal_ip(uri) is None


def usable_naptr(uri: SipUri, records: Iterable[Naptr], supported: Sequence[str]) -> list[Naptr]:
    """§4.1: "S" records whose service we support (SIPS: only "SIPS+"), by order, preference."""
    kept = [r for r in records if _naptr_transport(uri, r, supported) is not None]
    return sorted(kept, key=lambda r: (r.order, r.preference))


def srv_queries(
    uri: SipUri, naptr: Iterable[Naptr], *, supported: Sequence[str] = DEFAULT_TRANSPORTS
) -> list[SrvQuery]:
    """§4.2: the SRV names to look up, in the order their results are to be tried."""
    if literal_ip(uri) is not None or uri.port is not None:
        return []
    host = target(uri)
    explicit = explicit_transport(uri)
    if explicit is not None:
        return [SrvQuery(explicit, f"{SRV_LABELS[explicit]}.{host}")] if explicit else []
    usable = usable_naptr(uri, naptr, supported)
    if usable:
        return [_query_of(uri, r, supported) for r in usable]
    probed = [t for t in supported if t in PROBED and (t in SECURE or not uri.secure)]
    return [SrvQuery(t, f"{SRV_LABELS[t]}.{host}") for t in probed]


def address_names(
    uri: SipUri,
    naptr: Iterable[Naptr],
    srv_by_name: Mapping[str, Sequence[Srv]],
    *,
    supported: Sequence[str] = DEFAULT_TRANSPORTS,
) -> list[str]:
    """§4.2: the names whose A/AAAA are needed: the SRV targets, else the TARGET itself."""
    if literal_ip(uri) is not None:
        return []
    found = _found(srv_queries(uri, naptr, supported=supported), srv_by_name)
    if not found:
        return [target(uri)]
    names = (normalize(s.target) for _, records in found for s in records)
    return list(dict.fromkeys(n for n in names if n))


def plan(
    uri: Uri,
    naptr_records: Iterable[Naptr],
    srv_records_by_name: Mapping[str, Sequence[Srv]],
    addresses_by_name: Mapping[str, Sequence[Ip]],
    *,
    supported_transports: Sequence[str] = DEFAULT_TRANSPORTS,
    random: Draw,
) -> list[Candidate]:
    """The RFC 3263 candidate list for `uri`, best first, without duplicates.

    `supported_transports` (in our order of preference) filters what DNS offers (NAPTR
    services, probed SRV names); a `transport` parameter is honoured as written.
    """
    if not isinstance(uri, SipUri):
        return []
    ip = literal_ip(uri)
    if ip is not None:
        return literal_candidates(uri, ip)
    queries = srv_queries(uri, naptr_records, supported=supported_transports)
    found = _found(queries, srv_records_by_name)
    if found:
        out = _from_srv(found, addresses_by_name, random)
    else:
        out = _from_host(uri, addresses_by_name, supported_transports)
    return _unique(out)


def srv_order(records: Sequence[Srv], random: Draw) -> list[Srv]:
    """RFC 2782 "Usage rules": lowest priority first; within a priority, repeatedly draw a
    number in [0, sum of weights] and take the first record whose running sum reaches it,
    with weight-0 records placed first (so they are chosen only when the draw is 0)."""
    out: list[Srv] = []
    for priority in sorted({r.priority for r in records}):
        group = sorted((r for r in records if r.priority == priority), key=lambda r: r.weight > 0)
        while group:
            out.append(group.pop(_weighted_index(group, random)))
    return out


def default_transport(uri: SipUri, supported: Sequence[str]) -> str | None:
    """§4.1: with no NAPTR or SRV, UDP for SIP and TLS for SIPS (TCP when UDP is not ours)."""
    choices = ("TLS",) if uri.secure else ("UDP", "TCP")
    return next((t for t in choices if t in supported), None)


def _weighted_index(group: Sequence[Srv], random: Draw) -> int:
    draw = random(0, sum(r.weight for r in group))
    running = 0
    for index, record in enumerate(group):
        running += record.weight
        if running >= draw:
            return index
    return len(group) - 1  # a draw out of range (a bad `random`): take the last


def _naptr_transport(uri: SipUri, record: Naptr, supported: Sequence[str]) -> str | None:
    if record.flags.lower() != "s":
        return None
    transport = SERVICES.get(record.service.upper())
    if transport is None or transport not in supported:
        return None
    if uri.secure and not record.service.upper().startswith("SIPS+"):
        return None
    return transport


def _query_of(uri: SipUri, record: Naptr, supported: Sequence[str]) -> SrvQuery:
    transport = _naptr_transport(uri, record, supported)
    assert transport is not None  # usable_naptr kept only these
    return SrvQuery(transport, normalize(record.replacement), record.expires)


def _found(
    queries: Iterable[SrvQuery], srv_by_name: Mapping[str, Sequence[Srv]]
) -> list[tuple[SrvQuery, Sequence[Srv]]]:
    """The queries that returned SRV records (a lone "." target counts: it says "no")."""
    return [(q, srv_by_name[q.name]) for q in queries if srv_by_name.get(q.name)]


def _from_srv(
    found: Iterable[tuple[SrvQuery, Sequence[Srv]]],
    addresses: Mapping[str, Sequence[Ip]],
    random: Draw,
) -> list[Candidate]:
    out: list[Candidate] = []
    for query, records in found:
        for srv in srv_order(records, random):
            host = normalize(srv.target)
            if not host:  # RFC 2782: "." = the service is decidedly not available here
                continue
            for ip in addresses.get(host, ()):
                expires = _earliest(query.expires, srv.expires, ip.expires)
                out.append(Candidate(query.transport, host, ip.ip, srv.port, expires))
    return out


def _from_host(
    uri: SipUri, addresses: Mapping[str, Sequence[Ip]], supported: Sequence[str]
) -> list[Candidate]:
    explicit = explicit_transport(uri)
    transport = explicit if explicit is not None else default_transport(uri, supported)
    if not transport:
        return []
    host = target(uri)
    port = uri.port or default_port(transport)
    return [Candidate(transport, host, ip.ip, port, ip.expires) for ip in addresses.get(host, ())]


def literal_candidates(uri: SipUri, ip: str) -> list[Candidate]:
    """§4.1/§4.2 for a numeric TARGET (`ip`, as `literal_ip` gives it): no DNS at all; what
    `plan` answers for such a URI."""
    hop = literal_hop(uri)
    return [] if hop is None else [Candidate(hop[0], ip, ip, hop[1])]


def literal_hop(uri: SipUri) -> tuple[str, int] | None:
    """(transport, port) of the one candidate of a URI with a numeric TARGET (§4.1/§4.2), None
    when a SIPS URI asks for a transport TLS cannot run over."""
    explicit = explicit_transport(uri)
    transport = explicit if explicit is not None else ("TLS" if uri.secure else "UDP")
    if not transport:
        return None
    return transport, uri.port or default_port(transport)


def _unique(found: Iterable[Candidate]) -> list[Candidate]:
    """The first candidate for each (transport, IP, port): a second try would fail alike."""
    seen: dict[tuple[str, str, int], Candidate] = {}
    for candidate in found:
        seen.setdefault((candidate.transport, candidate.ip, candidate.port), candidate)
    return list(seen.values())


def _earliest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None
