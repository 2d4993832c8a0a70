"""A tiny authoritative DNS server for tests: UDP on loopback, answers from a zone dict.

The zone maps (name, type) to (ttl, [rdata text]), e.g.
`("_sip._udp.example.com", "SRV"): (300, ["10 60 5060 a.example.com."])`. A name in the zone
with no records of the asked type gets NOERROR/no data, a name not in it NXDOMAIN; both carry
an SOA whose MINIMUM is `negative_ttl` (RFC 2308 §3). Names in `silent` are never answered (a
timeout). Every question is recorded in `queries` as (name, type), names without the dot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import cast

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

Zone = Mapping[tuple[str, str], tuple[int, Sequence[str]]]


class DnsServer(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone, negative_ttl: int, silent: Iterable[str]) -> None:
        self.zone = {
            (name.lower().rstrip("."), kind.upper()): v for (name, kind), v in zone.items()
        }
        self.names = {name for name, _ in self.zone}
        self.negative_ttl = negative_ttl
        self.silent = set(silent)
        self.queries: list[tuple[str, str]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is no subclass
        self.port = int(self.transport.get_extra_info("sockname")[1])

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text().lower().rstrip(".")
        kind = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, kind))
        if name in self.silent or self.transport is None:
            return
        self.transport.sendto(self.answer(query, name, kind).to_wire(), addr)

    def answer(self, query: dns.message.Message, name: str, kind: str) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        found = self.zone.get((name, kind))
        if found is not None:
            ttl, texts = found
            response.answer.append(
                dns.rrset.from_text_list(query.question[0].name, ttl, "IN", kind, list(texts))
            )
            return response
        if name not in self.names:
            response.set_rcode(dns.rcode.NXDOMAIN)
        soa = f"ns.test. admin.test. 1 3600 600 86400 {self.negative_ttl}"
        response.authority.append(dns.rrset.from_text(dns.name.root, 3600, "IN", "SOA", soa))
        return response

    def count(self, name: str, kind: str | None = None) -> int:
        return sum(1 for n, k in self.queries if n == name and kind in (None, k))


@asynccontextmanager
async def dns_server(
    zone: Zone, *, negative_ttl: int = 60, silent: Iterable[str] = ()
) -> AsyncIterator[DnsServer]:
    """A `DnsServer` on 127.0.0.1, port 0, for the duration of the block."""
    loop = asyncio.get_running_loop()
    transport, server = await loop.create_datagram_endpoint(
        lambda: DnsServer(zone, negative_ttl, silent), local_addr=("127.0.0.1", 0)
    )
    try:
        yield server
    finally:
        transport.close()
