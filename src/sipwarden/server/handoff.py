"""The messages workers pass each other over loopback UDP (docs/workers.md), kept pure.

One datagram is a text header line, `\\n`, then the raw SIP bytes:
- `recv TRANSPORT PEER_HOST PEER_PORT LOCAL_HOST LOCAL_PORT`: a message this worker received
  for another one (a response whose branch names worker K), with where it came from and the
  listener it arrived on;
- `send TRANSPORT PEER_HOST PEER_PORT`: bytes for worker 0 to send on its stream connection
  to that peer (only worker 0 holds the TCP, TLS and WebSocket connections), or to dial;
- `fail`: worker 0 could not deliver what a `send` carried (the bytes follow); the worker
  holding the branch turns it into a transport error (RFC 3261 §17.1.4).
Fields are separated by single spaces; hosts are IP addresses without brackets.
"""

from __future__ import annotations

from dataclasses import dataclass

from sipwarden.transport.address import Address

FIELDS = {"recv": 6, "send": 4, "fail": 1}  # header fields per kind
MAX_DATAGRAM = 65507  # the largest UDP payload over IPv4 loopback


class HandoffError(ValueError):
    """A handoff datagram that does not decode (never expected between our own workers)."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """One handed-over message: `peer` for `recv` and `send`, `local` only for `recv`."""

    kind: str
    data: bytes
    peer: Address | None = None
    local: Address | None = None


def encode(handoff: Handoff) -> bytes:
    """The datagram for `handoff`; HandoffError when it does not fit in one."""
    peer, fields = handoff.peer, [handoff.kind]
    if peer is not None:
        fields += [peer.transport, peer.host, str(peer.port)]
    if handoff.local is not None:
        fields += [handoff.local.host, str(handoff.local.port)]
    datagram = " ".join(fields).encode("ascii") + b"\n" + handoff.data
    if len(datagram) > MAX_DATAGRAM:
        raise HandoffError(f"{len(handoff.data)} bytes do not fit in one handoff datagram")
    return datagram


def decode(datagram: bytes) -> Handoff:
    """The handoff a datagram carries; HandoffError when it is malformed."""
    header, newline, data = datagram.partition(b"\n")
    fields = header.decode("ascii", "replace").split(" ")
    want = FIELDS.get(fields[0], 0)
    if not newline or not want:
        raise HandoffError(f"not a handoff: {header[:40]!r}")
    if len(fields) != want or not all(fields[i].isdigit() for i in range(3, want, 2)):
        raise HandoffError(f"bad handoff header: {header[:80]!r}")
    if want == 1:
        return Handoff(fields[0], data)
    transport = fields[1]
    peer = Address(transport, fields[2], int(fields[3]))
    local = Address(transport, fields[4], int(fields[5])) if want == 6 else None
    return Handoff(fields[0], data, peer, local)
