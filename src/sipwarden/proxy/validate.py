"""Request validation, RFC 3261 §16.3, in the order the project's issue #5 fixes.

1. Max-Forwards (§16.3 item 3) first: 0 is 483, whatever else is wrong with the request. An
   OPTIONS with Max-Forwards 0 gets a Reply of kind OPTIONS_MAY_ANSWER: §16.3 item 3 lets the
   proxy answer it itself per §11 (the caller decides, e.g. when it is addressed to us).
2. Reasonable syntax (§16.3 item 1): 400 (or the ParseError's own status, 501 for an unknown
   method whose CSeq disagrees).
3. URI scheme (§16.3 item 2): 416 for a scheme not in `allowed_schemes`.
4. Loop detection (§16.3 item 4): 482 (see loop.py; a spiral passes).
5. Proxy-Require (§16.3 item 5): 420 with an Unsupported header listing what we lack.
Item 6 (Proxy-Authorization) is the server's digest auth. An ACK is never answered (§17): its
Reply has kind DROP.
"""

from __future__ import annotations

import enum
from typing import ClassVar, Final

from sipwarden.errors import ParseError
from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.identity import ProxyIdentity
from sipwarden.proxy.loop import is_loop
from sipwarden.sip import Request
from sipwarden.value import Value


class ReplyKind(enum.Enum):
    REJECT = "reject"  # answer with this status
    OPTIONS_MAY_ANSWER = "options"  # 483, or answer the OPTIONS ourselves (§16.3 item 3, §11)
    DROP = "drop"  # an ACK: nothing is answered (§17.2.1), drop it


class Reply(Value):
    """The answer that ends a request failing validation (see `ReplyKind`)."""

    # A Value, not a dataclass: one is made per rejected request (see sipwarden/value.py).
    __slots__ = ("headers", "kind", "reason", "status")
    _names: ClassVar[tuple[str, ...]] = ("status", "reason", "headers", "kind")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: tuple[tuple[str, str], ...] = (),
        kind: ReplyKind = ReplyKind.REJECT,
    ) -> None:
        self.status: Final = status
        self.reason: Final = reason
        self.headers: Final = headers
        self.kind: Final = kind

    def _fields(self) -> tuple[object, ...]:
        return (self.status, self.reason, self.headers, self.kind)


def validate(request: Request, identity: ProxyIdentity, config: ProxyConfig) -> Reply | None:
    """None when the request may be proxied, else the Reply that ends it."""
    reply = _check(request, identity, config)
    if reply is not None and request.method == "ACK":
        return Reply(reply.status, reply.reason, reply.headers, ReplyKind.DROP)
    return reply


def _check(request: Request, identity: ProxyIdentity, config: ProxyConfig) -> Reply | None:
    try:
        hops = request.max_forwards
        if hops == 0:
            return _too_many_hops(request)
        request.validate()
    except ParseError as exc:
        return Reply(exc.status, exc.reason)
    if request.uri.scheme not in config.allowed_schemes:
        return Reply(416, "Unsupported URI Scheme")
    try:
        if is_loop(request, identity):
            return Reply(482, "Loop Detected")
        return _proxy_require(request, config)
    except ParseError as exc:
        return Reply(exc.status, exc.reason)


def _too_many_hops(request: Request) -> Reply:
    kind = ReplyKind.OPTIONS_MAY_ANSWER if request.method == "OPTIONS" else ReplyKind.REJECT
    return Reply(483, "Too Many Hops", (), kind)


def _proxy_require(request: Request, config: ProxyConfig) -> Reply | None:
    missing = [t for t in request.proxy_require if t not in config.proxy_require_supported]
    if not missing:
        return None
    return Reply(420, "Bad Extension", (("Unsupported", ", ".join(missing)),))
