"""Locating SIP servers over DNS (RFC 3263 §4) with dnspython's asyncio resolver.

How this works: `candidates(uri)` walks the steps `targets` names (NAPTR of the TARGET, then
the SRV names, then the A/AAAA of the SRV targets or of the TARGET), running the lookups of one
step concurrently, and gives every answer to `targets.plan`, which orders the result. Each
(name, type) answer is cached until its TTL runs out; negative answers (NXDOMAIN, no records
of that type) for the RFC 2308 §5 negative TTL. Failures (timeouts, SERVFAIL, unreachable
servers) are not cached: the step just has no records, and RFC 3263's fallbacks apply.

IP literals never reach DNS. "localhost" and names under it (RFC 6761 §6.3) go straight to
the system's getaddrinfo, and so does any name DNS has no address for (`hosts_fallback`),
so /etc/hosts keeps working.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import socket
import time
from collections.abc import Callable, Sequence
from typing import cast

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.resolver
from dns.rdtypes.IN.NAPTR import NAPTR
from dns.rdtypes.IN.SRV import SRV

from sipwarden.dns.cache import DnsCache
from sipwarden.dns.targets import (
    DEFAULT_TRANSPORTS,
    Candidate,
    Draw,
    Ip,
    Naptr,
    Srv,
    address_names,
    literal_candidates,
    literal_hop,
    literal_ip,
    plan,
    srv_queries,
    target,
    uses_naptr,
)
from sipwarden.sip import SipUri
from sipwarden.sip.uri import Uri
from sipwarden.transport.address import Address

log = logging.getLogger(__name__)

Record = Naptr | Srv | Ip


class SipResolver:
    """RFC 3263 server location: `candidates(uri)` for failover, `resolve(uri)` for the first.

    `nameservers` is a list of (ip, port); None reads the system configuration
    (/etc/resolv.conf). `timeout` bounds each DNS lookup in seconds. `clock` gives the time
    used for TTLs (seconds, monotonic); `random` draws for RFC 2782 weights.
    """

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]] | None = None,
        *,
        cache: DnsCache | None = None,
        timeout: float = 2.0,
        supported_transports: Sequence[str] = DEFAULT_TRANSPORTS,
        clock: Callable[[], float] = time.monotonic,
        random: Draw | None = None,
        hosts_fallback: bool = True,
    ) -> None:
        self.cache = cache if cache is not None else DnsCache()
        self.supported_transports = tuple(supported_transports)
        self.hosts_fallback = hosts_fallback
        self._clock = clock
        self._random = random if random is not None else _random.Random().randint
        self._dns = _make_resolver(nameservers, timeout)
        self._inflight: dict[tuple[str, str], asyncio.Future[tuple[Record, ...]]] = {}

    async def resolve(self, uri: Uri) -> Address | None:
        """The first candidate's address; None when `uri` is not SIP or nothing resolves."""
        if isinstance(uri, SipUri):
            ip = literal_ip(uri)
            if ip is not None:  # the one candidate `candidates` gives, without building it
                hop = literal_hop(uri)
                return None if hop is None else Address(hop[0], ip, hop[1])
        found = await self.candidates(uri)
        return found[0].address if found else None

    async def candidates(self, uri: Uri) -> list[Candidate]:
        """Every place to try for `uri`, best first (RFC 3263 §4.1-§4.3)."""
        if not isinstance(uri, SipUri):
            return []
        ip = literal_ip(uri)
        if ip is not None:  # §4.1/§4.2: no DNS for a numeric TARGET
            return literal_candidates(uri, ip)
        if _local_name(target(uri)):
            return await self._local(uri)
        naptr = await self._naptr(uri)
        queries = srv_queries(uri, naptr, supported=self.supported_transports)
        srv = await self._srv_all([q.name for q in queries])
        names = address_names(uri, naptr, srv, supported=self.supported_transports)
        addresses = await self._addresses_all(names)
        return plan(
            uri,
            naptr,
            srv,
            addresses,
            supported_transports=self.supported_transports,
            random=self._random,
        )

    # ----- the lookups of one step -----------------------------------------------------------
    async def _naptr(self, uri: SipUri) -> tuple[Naptr, ...]:
        if not uses_naptr(uri):
            return ()
        records = await self.lookup(target(uri), "NAPTR")
        return tuple(r for r in records if isinstance(r, Naptr))

    async def _srv_all(self, names: Sequence[str]) -> dict[str, tuple[Srv, ...]]:
        answers = await asyncio.gather(*(self.lookup(name, "SRV") for name in names))
        return {
            name: tuple(r for r in records if isinstance(r, Srv))
            for name, records in zip(names, answers)
        }

    async def _addresses_all(self, names: Sequence[str]) -> dict[str, tuple[Ip, ...]]:
        answers = await asyncio.gather(*(self._addresses(name) for name in names))
        return dict(zip(names, answers))

    async def _addresses(self, name: str) -> tuple[Ip, ...]:
        """A then AAAA from DNS; the system's getaddrinfo when DNS has neither."""
        v4, v6 = await asyncio.gather(self.lookup(name, "A"), self.lookup(name, "AAAA"))
        found = tuple(r for r in (*v4, *v6) if isinstance(r, Ip))
        if found or not self.hosts_fallback:
            return found
        return await _system_addresses(name)

    async def _local(self, uri: SipUri) -> list[Candidate]:
        host = target(uri)
        addresses = {host: await _system_addresses(host)}
        return plan(
            uri,
            (),
            {},
            addresses,
            supported_transports=self.supported_transports,
            random=self._random,
        )

    # ----- one (name, type), through the cache -----------------------------------------------
    async def lookup(self, name: str, rdtype: str) -> tuple[Record, ...]:
        """The records of (name, rdtype), from the cache while their TTL lasts.

        Concurrent lookups of the same (name, rdtype) share one query.
        """
        entry = self.cache.get(name, rdtype, self._clock())
        if entry is not None:
            return tuple(r for r in entry.records if isinstance(r, Naptr | Srv | Ip))
        key = (name, rdtype)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._query(name, rdtype))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)  # one caller giving up does not cancel the others

    async def _query(self, name: str, rdtype: str) -> tuple[Record, ...]:
        qname = dns.name.from_text(name)
        try:
            answer = await self._dns.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            self._store_negative(name, rdtype, exc)
            return ()
        except dns.exception.DNSException as exc:  # timeout, SERVFAIL, no server answered
            log.info("DNS %s %s failed: %s", name, rdtype, exc)
            return ()
        return self._store(name, rdtype, answer)

    def _store(self, name: str, rdtype: str, answer: dns.resolver.Answer) -> tuple[Record, ...]:
        ttl = answer.chaining_result.minimum_ttl  # the lowest TTL along any CNAME chain
        rrset = answer.rrset
        now = self._clock()
        expires = self.cache.expiry(ttl, now, negative=rrset is None)
        records = () if rrset is None else _records(rrset, expires)
        self.cache.put(name, rdtype, records, expires)
        return records

    def _store_negative(self, name: str, rdtype: str, exc: dns.resolver.NXDOMAIN) -> None:
        """RFC 2308 §5: NXDOMAIN is kept for min(SOA TTL, SOA MINIMUM) (dnspython works it
        out when resolving the chain; without an SOA it uses a short default)."""
        responses = cast(Callable[[], dict[object, dns.message.Message]], exc.responses)()
        ttl = min((_negative_ttl(r) for r in responses.values()), default=0.0)
        expires = self.cache.expiry(ttl, self._clock(), negative=True)
        self.cache.put(name, rdtype, (), expires)


def _make_resolver(
    nameservers: Sequence[tuple[str, int]] | None, timeout: float
) -> dns.asyncresolver.Resolver:
    """dnspython's resolver with its own cache off (we keep ours) and bounded lookups."""
    if nameservers is None:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.asyncresolver.Resolver(configure=False)
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in nameservers]
    resolver.cache = None
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def _records(rrset: dns.rrset.RRset, expires: float) -> tuple[Record, ...]:
    return tuple(r for r in (_record(rd, expires) for rd in rrset) if r is not None)


def _record(rdata: dns.rdata.Rdata, expires: float) -> Record | None:
    if isinstance(rdata, NAPTR):
        return Naptr(
            rdata.order,
            rdata.preference,
            rdata.flags.decode("ascii", "replace"),
            rdata.service.decode("ascii", "replace"),
            rdata.replacement.to_text().lower().rstrip("."),
            expires,
        )
    if isinstance(rdata, SRV):
        target = rdata.target.to_text().lower().rstrip(".")
        return Srv(rdata.priority, rdata.weight, rdata.port, target, expires)
    if rdata.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return Ip(rdata.to_text(), expires)
    return None  # a CNAME or other record riding along


def _negative_ttl(response: dns.message.Message) -> float:
    if isinstance(response, dns.message.QueryMessage):
        return float(response.resolve_chaining().minimum_ttl)
    return 0.0


def _local_name(name: str) -> bool:
    """RFC 6761 §6.3: "localhost." and names below it are not sent to DNS servers."""
    return name == "localhost" or name.endswith(".localhost")


async def _system_addresses(name: str) -> tuple[Ip, ...]:
    """/etc/hosts and whatever else the system resolver knows (no TTL: not cached here)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(name, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return ()
    ips = dict.fromkeys(str(info[4][0]) for info in infos)
    return tuple(Ip(ip) for ip in ips)
