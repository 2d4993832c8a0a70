"""The proxy core's settings (the `[proxy]` config section, see docs/proxy.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sipwarden.errors import LocalError

# RFC 3261 §16.6 step 11: "The timer MUST be set to be greater than 3 minutes."
MIN_TIMER_C = 180.0


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """`timer_c`: RFC 3261 §16.6 step 11, per INVITE branch, reset by 101-199.
    `cancel_timeout`: how long a CANCELled branch may stay without a final response before it
    is taken as terminated (§9.1: 64*T1). `record_route_methods`: the dialog-creating methods
    that get Record-Route (§16.6 step 4; §12.1 dialogs, RFC 6665 SUBSCRIBE/NOTIFY, RFC 3515)."""

    record_route: bool = True
    timer_c: float = 180.0
    recurse_on_3xx: bool = True
    max_branches: int = 16
    proxy_require_supported: frozenset[str] = frozenset()
    allowed_schemes: tuple[str, ...] = ("sip", "sips")
    default_max_forwards: int = 70
    cancel_timeout: float = 32.0
    record_route_methods: frozenset[str] = frozenset({"INVITE", "SUBSCRIBE", "NOTIFY", "REFER"})

    def __post_init__(self) -> None:
        if self.timer_c < MIN_TIMER_C:
            raise LocalError("proxy.timer_c must be at least 180 s (RFC 3261 §16.6 step 11)")
        if self.cancel_timeout <= 0:
            raise LocalError("proxy.cancel_timeout must be positive")
        if not 1 <= self.max_branches <= 1000:
            raise LocalError("proxy.max_branches must be 1..1000")
        if not 1 <= self.default_max_forwards <= 255:
            raise LocalError("proxy.default_max_forwards must be 1..255")
        if not self.allowed_schemes or any(s != s.lower() for s in self.allowed_schemes):
            raise LocalError("proxy.allowed_schemes must be lower-case schemes, at least one")
