"""This host's own IP addresses, for listeners bound to a wildcard (0.0.0.0 or ::).

Without a dependency that lists interfaces, the addresses come from three cheap sources: the
loopbacks, what the host name resolves to, and the source address the kernel would pick for
an outbound packet (a UDP `connect` sends nothing). The admin adds any other (a NAT's public
address, say) as a served domain.
"""

from __future__ import annotations

import socket

PROBES = (("192.0.2.1", socket.AF_INET), ("2001:db8::1", socket.AF_INET6))  # RFC 5737/3849


def host_addresses() -> set[str]:
    """Every address found for this host; never raises."""
    found = {"127.0.0.1", "::1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    for target, family in PROBES:
        found |= _route_source(target, family)
    return found


def _route_source(target: str, family: socket.AddressFamily) -> set[str]:
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            return {str(probe.getsockname()[0])}
    except OSError:
        return set()
