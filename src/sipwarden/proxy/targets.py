"""Where a request is forwarded: targets, grouped for parallel and serial forking.

RFC 3261 §16.5 calls the URIs a request is forwarded to the "target set"; §16.6 forwards to
them in parallel or in sequence (for example by q-value, RFC 3261 §16.6, "serial forking").
A `TargetGroup` is tried as a whole (its targets in parallel); the next group starts when every
branch of the previous one has a final response (or the group's `timeout` ran out, which is how
"forward on no answer after N seconds" works). `on_failure` lets call forwarding add groups
once every group failed (forward on busy).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    """One destination of a request.

    `uri`: the new Request-URI (a registered Contact, a forwarding target, a 3xx Contact).
    `path`: Path header values stored with the binding (RFC 3327 §5.3: they become Route
    headers, in order). `connection`/`source`: the flow the binding was registered over
    (connection id of an open TCP/TLS/WS connection, and its "proto:host:port"), so a phone
    behind NAT is reached where it registered from. `q`: the binding's q-value (None = 1.0).
    `reason`: why this target was added ("registered", "forward-always", "forward-busy",
    "redirect", ...), for logs and the decision trace.
    """

    uri: str
    path: tuple[str, ...] = ()
    q: float | None = None
    source: str | None = None
    connection: int | None = None
    reason: str = "registered"


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """Targets forwarded to in parallel; `timeout` seconds before the group is cancelled and
    the next one starts (None: wait for final responses, bounded by Timer C)."""

    targets: tuple[Target, ...]
    timeout: float | None = None
