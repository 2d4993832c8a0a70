"""`SipResolver.resolve` of a numeric TARGET answers without DNS what `candidates` gives first."""

from __future__ import annotations

import asyncio

import pytest

from sipwarden.dns.resolver import SipResolver
from sipwarden.sip import parse_uri


@pytest.mark.parametrize(
    "text",
    [
        "sip:bob@192.0.2.7",
        "sip:192.0.2.7:5080;transport=tcp",
        "sip:127.0.0.1:15090;transport=UDP",
        "sips:bob@[2001:db8::1]",
        "sip:[2001:DB8:0::1]:5070;transport=ws",
        "sips:192.0.2.7;transport=tcp",
        "sips:192.0.2.7;transport=ws",
        "sips:192.0.2.7;transport=udp",  # no candidate: None
        "sip:bob@example.com;maddr=192.0.2.50",
        "sip:192.0.2.7;transport=sctp",
    ],
)
def test_resolve_of_a_literal_is_the_first_candidate(text: str) -> None:
    resolver = SipResolver([("192.0.2.53", 53)], hosts_fallback=False)
    uri = parse_uri(text)

    async def both() -> None:
        found = await resolver.candidates(uri)
        assert await resolver.resolve(uri) == (found[0].address if found else None)

    asyncio.run(both())
