"""Per-source-address counters: flood logs per method class, failed authentications, unknown
users probed and OPTIONS targets. Each is bounded by its threshold (see `windows`)."""

from __future__ import annotations

from sipwarden.security.config import SecurityConfig
from sipwarden.security.windows import DistinctLog, SlidingLog

CLASS_OF = {"REGISTER": "register", "INVITE": "invite", "OPTIONS": "options"}


def method_class(method: str) -> str:
    """`register`, `invite`, `options` or `other` (every other method, ACK and BYE included)."""
    return CLASS_OF.get(method.upper(), "other")


class Source:
    """What one address did recently.

    Changed in place, so compared by identity; a plain slotted class rather than a dataclass
    because one is made for every new source address (see sipwarden/value.py).
    """

    __slots__ = ("config", "failures", "flood", "options", "unknown")

    def __init__(
        self,
        config: SecurityConfig,
        flood: dict[str, SlidingLog] | None = None,
        failures: SlidingLog | None = None,
        unknown: DistinctLog | None = None,
        options: DistinctLog | None = None,
    ) -> None:
        self.config = config
        self.flood: dict[str, SlidingLog] = {} if flood is None else flood
        self.failures = failures
        self.unknown = unknown
        self.options = options

    def request(self, method_class: str, now: float) -> int:
        log = self.flood.get(method_class)
        if log is None:
            flood = self.config.flood
            log = self.flood[method_class] = SlidingLog(flood.limit(method_class), flood.window)
        return log.add(now)

    def auth_failed(self, now: float) -> int:
        if self.failures is None:
            bf = self.config.brute_force
            self.failures = SlidingLog(bf.address_failures, bf.address_window)
        return self.failures.add(now)

    def unknown_user(self, user: str, now: float) -> int:
        if self.unknown is None:
            sc = self.config.scanner
            self.unknown = DistinctLog(sc.unknown_users, sc.unknown_users_window)
        return self.unknown.add(user, now)

    def options_target(self, target: str, now: float) -> int:
        if self.options is None:
            sc = self.config.scanner
            self.options = DistinctLog(sc.options_targets, sc.options_window)
        return self.options.add(target, now)

    def reset(self) -> None:
        """Forget everything (after a ban: the address starts afresh when it ends)."""
        self.flood.clear()
        self.failures = self.unknown = self.options = None
