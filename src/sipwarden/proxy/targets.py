"""Where a request is forwarded: targets, grouped for parallel and serial forking.

RFC 3261 §16.5 calls the URIs a request is forwarded to the "target set"; §16.6 forwards to
them in parallel or in sequence (for example by q-value, RFC 3261 §16.6, "serial forking").
A `TargetGroup` is tried as a whole (its targets in parallel); the next group starts when every
branch of the previous one has a final response (or the group's `timeout` ran out, which is how
"forward on no answer after N seconds" works). `on_failure` lets call forwarding add groups
once every group failed (forward on busy).

Both are `Value`s, not dataclasses: they are made for every proxied request (see
sipwarden/value.py).
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.value import Value


class Target(Value):
    """One destination of a request.

    `uri`: the new Request-URI (a registered Contact, a forwarding target, a 3xx Contact).
    `path`: Path header values stored with the binding (RFC 3327 §5.3: they become Route
    headers, in order). `connection`/`source`: the flow the binding was registered over
    (connection id of an open TCP/TLS/WS connection, and its "proto:host:port"), so a phone
    behind NAT is reached where it registered from. `q`: the binding's q-value (None = 1.0).
    `reason`: why this target was added ("registered", "forward-always", "forward-busy",
    "redirect", ...), for logs and the decision trace.
    """

    __slots__ = ("connection", "path", "q", "reason", "source", "uri")
    _names: ClassVar[tuple[str, ...]] = ("uri", "path", "q", "source", "connection", "reason")

    def __init__(
        self,
        uri: str,
        path: tuple[str, ...] = (),
        q: float | None = None,
        source: str | None = None,
        connection: int | None = None,
        reason: str = "registered",
    ) -> None:
        self.uri: Final = uri
        self.path: Final = path
        self.q: Final = q
        self.source: Final = source
        self.connection: Final = connection
        self.reason: Final = reason

    def _fields(self) -> tuple[object, ...]:
        return (self.uri, self.path, self.q, self.source, self.connection, self.reason)


class TargetGroup(Value):
    """Targets forwarded to in parallel; `timeout` seconds before the group is cancelled and
    the next one starts (None: wait for final responses, bounded by Timer C)."""

    __slots__ = ("targets", "timeout")
    _names: ClassVar[tuple[str, ...]] = ("targets", "timeout")

    def __init__(self, targets: tuple[Target, ...], timeout: float | None = None) -> None:
        self.targets: Final = targets
        self.timeout: Final = timeout

    def _fields(self) -> tuple[object, ...]:
        return (self.targets, self.timeout)
