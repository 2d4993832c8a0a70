"""The action half of a rule: modifiers that change the request, then one terminal action.

Modifiers (`rewrite`, `set_header`, `remove_header`) run in the order `rewrite`, `set_header`,
`remove_header`, before the terminal action. The terminal actions as a rule writes them
(`*Spec`, holding templates) and as a `Decision` carries them (rendered):

- `lookup`: the location service for the (rewritten) Request-URI, as the proxy always did;
- `forward`: to a URI, to the Request-URI as it is, to a gateway group, or by least-cost
  routing (the groups for the longest prefix of the Request-URI user);
- `reply`: answer with a status; `redirect`: 302 Moved Temporarily to a URI;
- `challenge`: the request must be authenticated (407) or come from a trusted peer; when it
  is, the rule's modifiers apply and the next rule is tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Final

from sipwarden.routing.template import Captures, Template
from sipwarden.value import Value


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Dialplan on the Request-URI user: `pattern` -> `replace`, then strip, then prefix."""

    pattern: re.Pattern[str] | None = None
    replace: Template | None = None
    strip: int = 0
    prefix: str = ""

    def apply(self, user: str) -> str:
        if self.pattern is not None and self.replace is not None:
            found = self.pattern.fullmatch(user)
            if found is not None:
                groups = tuple(g or "" for g in found.groups())
                named = {k: v or "" for k, v in found.groupdict().items()}
                user = self.replace.render(Captures(groups, named))
        return self.prefix + user[self.strip :]

    def describe(self) -> str:
        steps = []
        if self.pattern is not None and self.replace is not None:
            steps.append(f"'{self.pattern.pattern}' -> '{self.replace.text}'")
        if self.strip:
            steps.append(f"strip {self.strip}")
        if self.prefix:
            steps.append(f'prefix "{self.prefix}"')
        return ", ".join(steps)


class HeaderEdit(Value):
    """`set`: replace every value of header `name` by `value`; `remove`: delete the header."""

    # A Value, not a dataclass: made for every routed request whose rule edits headers (see
    # sipwarden/value.py).
    __slots__ = ("kind", "name", "value")
    _names: ClassVar[tuple[str, ...]] = ("kind", "name", "value")

    def __init__(self, kind: str, name: str, value: str = "") -> None:
        self.kind: Final = kind  # "set" or "remove"
        self.name: Final = name
        self.value: Final = value

    def _fields(self) -> tuple[object, ...]:
        return (self.kind, self.name, self.value)

    def describe(self) -> str:
        if self.kind == "set":
            return f"set header {self.name}: {self.value}"
        return f"remove header {self.name}"


@dataclass(frozen=True, slots=True)
class SetHeaderSpec:
    name: str
    value: Template


# ----- terminal actions in a rule ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LookupSpec:
    pass


@dataclass(frozen=True, slots=True)
class ForwardSpec:
    """Exactly one of: `uri` (a template), `gateway` (a group name), `lcr`; none of them: the
    Request-URI as it is."""

    uri: Template | None = None
    gateway: str | None = None
    lcr: bool = False


@dataclass(frozen=True, slots=True)
class ReplySpec:
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class ChallengeSpec:
    realm: str | None = None


@dataclass(frozen=True, slots=True)
class RedirectSpec:
    uri: Template


TerminalSpec = LookupSpec | ForwardSpec | ReplySpec | ChallengeSpec | RedirectSpec


# ----- terminal actions in a decision --------------------------------------------------------
# Values, not dataclasses: one is made for every routed request (see sipwarden/value.py).
class Lookup(Value):
    """Look the (rewritten) Request-URI `ruri` up in the location service."""

    __slots__ = ("ruri",)
    _names: ClassVar[tuple[str, ...]] = ("ruri",)

    def __init__(self, ruri: str) -> None:
        self.ruri: Final = ruri

    def _fields(self) -> tuple[object, ...]:
        return (self.ruri,)


class Forward(Value):
    """Forward to `uri`; with `gateways`, to the destinations of those groups in order (the
    Request-URI's user on each destination's host, see `Destination.target_for`).
    `lcr_prefix`: the least-cost routing prefix that chose the groups."""

    __slots__ = ("gateways", "lcr_prefix", "uri")
    _names: ClassVar[tuple[str, ...]] = ("uri", "gateways", "lcr_prefix")

    def __init__(
        self, uri: str, gateways: tuple[str, ...] = (), lcr_prefix: str | None = None
    ) -> None:
        self.uri: Final = uri
        self.gateways: Final = gateways
        self.lcr_prefix: Final = lcr_prefix

    def _fields(self) -> tuple[object, ...]:
        return (self.uri, self.gateways, self.lcr_prefix)


class Reply(Value):
    """Answer with status `code` and `reason`."""

    __slots__ = ("code", "reason")
    _names: ClassVar[tuple[str, ...]] = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code: Final = code
        self.reason: Final = reason

    def _fields(self) -> tuple[object, ...]:
        return (self.code, self.reason)


class Challenge(Value):
    """Answer 407 with a challenge for `realm` (None: the caller's domain, as today)."""

    __slots__ = ("realm",)
    _names: ClassVar[tuple[str, ...]] = ("realm",)

    def __init__(self, realm: str | None = None) -> None:
        self.realm: Final = realm

    def _fields(self) -> tuple[object, ...]:
        return (self.realm,)


class Redirect(Value):
    """Answer 302 Moved Temporarily with `uri` as the Contact."""

    __slots__ = ("uri",)
    _names: ClassVar[tuple[str, ...]] = ("uri",)

    def __init__(self, uri: str) -> None:
        self.uri: Final = uri

    def _fields(self) -> tuple[object, ...]:
        return (self.uri,)


Terminal = Lookup | Forward | Reply | Challenge | Redirect
