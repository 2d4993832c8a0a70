"""What the shield decides and reports: verdicts, bans, locks and security events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Final

from sipwarden.value import Value


class Action(StrEnum):
    """What the server does with a request: serve it, drop it silently, or reject it."""

    ALLOW = "allow"
    DROP = "drop"  # no reply at all: a reply would amplify a flood or confirm a target
    REJECT = "reject"  # answer `status` with `phrase`


class EventKind(StrEnum):
    """The kinds of security event (docs/security.md, "Events")."""

    DROP = "drop"
    REJECT = "reject"
    BAN = "ban"
    UNBAN = "unban"
    LOCK = "lock"
    UNLOCK = "unlock"
    FRAUD_ALERT = "fraud_alert"


class Verdict(Value):
    """The answer to `check_request` or `call_attempt`; `reason` is a reason code.

    A `Value` (see sipwarden/value.py): one may be made for every request checked.
    """

    __slots__ = ("action", "phrase", "reason", "rule", "status")
    _names: ClassVar[tuple[str, ...]] = ("action", "reason", "rule", "status", "phrase")
    action: Final[Action]
    reason: Final[str]
    rule: Final[str]
    status: Final[int]
    phrase: Final[str]

    def __init__(
        self, action: Action, reason: str = "", rule: str = "", status: int = 0, phrase: str = ""
    ) -> None:
        self.action = action
        self.reason = reason
        self.rule = rule
        self.status = status
        self.phrase = phrase

    def _fields(self) -> tuple[object, ...]:
        return (self.action, self.reason, self.rule, self.status, self.phrase)

    @property
    def allowed(self) -> bool:
        return self.action is Action.ALLOW


ALLOW = Verdict(Action.ALLOW)


@dataclass(frozen=True, slots=True)
class Ban:
    """`ip` is banned from `since` until `until` (None: until lifted); `offences` counts the
    bans of this address still remembered, this one included (it sets the duration)."""

    ip: str
    since: float
    until: float | None
    reason: str
    offences: int = 1
    by: str = "shield"

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True, slots=True)
class Lock:
    """`account` is locked (answered as if every password were wrong) until `until`."""

    account: str
    since: float
    until: float | None
    reason: str
    by: str = "shield"

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One decision: `kind`, its `reason` code, the source address and account it concerns,
    the `rule` that fired with its values ("flood.register: 31 > 30 in 10 s") and a free-form
    `detail`."""

    at: float
    kind: EventKind
    reason: str
    source: str | None = None
    account: str | None = None
    rule: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BanChange:
    """An admin change made outside the server (the CLI, another process): `ban` added, or
    the ban of `ip` removed when `ban` is None. `seq` orders changes; the server applies those
    after the last it saw (`Shield.apply_change`)."""

    seq: int
    at: float
    ip: str
    ban: Ban | None
    by: str
