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

from sipwarden.routing.template import Captures, Template


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


@dataclass(frozen=True, slots=True)
class HeaderEdit:
    """`set`: replace every value of header `name` by `value`; `remove`: delete the header."""

    kind: str  # "set" or "remove"
    name: str
    value: str = ""

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
@dataclass(frozen=True, slots=True)
class Lookup:
    """Look the (rewritten) Request-URI `ruri` up in the location service."""

    ruri: str


@dataclass(frozen=True, slots=True)
class Forward:
    """Forward to `uri`; with `gateways`, to the destinations of those groups in order (the
    Request-URI's user on each destination's host, see `Destination.target_for`).
    `lcr_prefix`: the least-cost routing prefix that chose the groups."""

    uri: str
    gateways: tuple[str, ...] = ()
    lcr_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Challenge:
    """Answer 407 with a challenge for `realm` (None: the caller's domain, as today)."""

    realm: str | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    """Answer 302 Moved Temporarily with `uri` as the Contact."""

    uri: str


Terminal = Lookup | Forward | Reply | Challenge | Redirect
