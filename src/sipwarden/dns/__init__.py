"""sipwarden.dns: locating SIP servers with DNS (RFC 3263 §4).

`targets` is the pure part: from a SIP URI and DNS answers to the ordered candidate list
(NAPTR order/preference, SRV priority and RFC 2782 weights, A/AAAA). `cache` keeps answers by
TTL. `resolver.SipResolver` does the lookups with dnspython's asyncio resolver.
"""

from sipwarden.dns.cache import DnsCache
from sipwarden.dns.targets import Candidate, Ip, Naptr, Srv, plan

__all__ = ["Candidate", "DnsCache", "Ip", "Naptr", "Srv", "plan"]
