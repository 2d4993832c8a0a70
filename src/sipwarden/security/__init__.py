"""The security shield: floods, scanners, brute force and toll fraud (docs/security.md).

Pure (sans-IO) except `store`: every call takes `now` (wall-clock seconds), every decision is
a `SecurityEvent` drained with `Shield.next_event()`, and expiries run from `next_deadline()`
and `on_timeout(now)`.
"""

from sipwarden.security.config import SecurityConfig
from sipwarden.security.events import Action, Ban, EventKind, Lock, SecurityEvent, Verdict
from sipwarden.security.shield import Shield, ShieldError

__all__ = [
    "Action",
    "Ban",
    "EventKind",
    "Lock",
    "SecurityConfig",
    "SecurityEvent",
    "Shield",
    "ShieldError",
    "Verdict",
]
