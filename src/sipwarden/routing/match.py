"""The match half of a rule: conditions that must all hold (pure).

Every pattern is a Python regular expression that must match the whole value (`re.fullmatch`:
`'\\+49\\d+'` does not match `+4930x`); domains are matched without regard to case. A missing
value (no user part, no such header) matches no pattern. Each condition reports why it held or
not, for `Decision.explain()` (`check`); `test` gives the same verdict and groups without the
phrase, for the proxy's decisions when nobody reads the trace.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sipwarden.routing.request import RequestView
from sipwarden.routing.template import NO_CAPTURES, Captures

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Check:
    """One condition's verdict: `ok`, a phrase for the trace, and any groups it captured."""

    ok: bool
    text: str
    groups: tuple[str, ...] = ()
    named: dict[str, str] = field(default_factory=dict)


# `test`'s answer for a condition that holds and captures nothing (never mutated).
HELD = Check(True, "")


class Condition(Protocol):
    """A condition: `check(view, now)`; `key` is the config key it came from. `test(view, now)`
    is `check` without the phrase: None when the condition fails, else a Check with the same
    groups (its text may be empty)."""

    @property
    def key(self) -> str: ...

    def check(self, view: RequestView, now: float) -> Check: ...

    def test(self, view: RequestView, now: float) -> Check | None: ...


@dataclass(frozen=True, slots=True)
class MethodIs:
    methods: frozenset[str]
    key: str = "method"

    def check(self, view: RequestView, now: float) -> Check:
        ok = view.method in self.methods
        return Check(ok, f"method {view.method} {'in' if ok else 'not in'} {_set(self.methods)}")

    def test(self, view: RequestView, now: float) -> Check | None:
        return HELD if view.method in self.methods else None


@dataclass(frozen=True, slots=True)
class Pattern:
    """A regex on one field of the view (`key`: ruri, ruri_user, from_user, ...)."""

    key: str
    regex: re.Pattern[str]
    value: Callable[[RequestView], str | None]

    def check(self, view: RequestView, now: float) -> Check:
        value = self.value(view)
        found = None if value is None else self.regex.fullmatch(value)
        shown = "(none)" if value is None else f'"{value}"'
        if found is None:
            return Check(False, f"{self.key} {shown} does not match '{self.regex.pattern}'")
        groups = tuple(g or "" for g in found.groups())
        named = {k: v or "" for k, v in found.groupdict().items()}
        return Check(True, f"{self.key} {shown} matches '{self.regex.pattern}'", groups, named)

    def test(self, view: RequestView, now: float) -> Check | None:
        value = self.value(view)
        found = None if value is None else self.regex.fullmatch(value)
        if found is None:
            return None
        if self.regex.groups == 0:
            return HELD
        groups = tuple(g or "" for g in found.groups())
        named = {k: v or "" for k, v in found.groupdict().items()}
        return Check(True, "", groups, named)


@dataclass(frozen=True, slots=True)
class SourceIn:
    networks: tuple[Network, ...]
    key: str = "source"

    def check(self, view: RequestView, now: float) -> Check:
        try:
            address = ipaddress.ip_address(view.source)
        except ValueError:
            return Check(False, f"source {view.source!r} is not an IP address")
        network = self._network(address)
        if network is not None:
            return Check(True, f"source {address} in {network}")
        return Check(False, f"source {address} not in {', '.join(map(str, self.networks))}")

    def test(self, view: RequestView, now: float) -> Check | None:
        try:
            address = ipaddress.ip_address(view.source)
        except ValueError:
            return None
        return HELD if self._network(address) is not None else None

    def _network(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Network | None:
        for network in self.networks:
            if address.version == network.version and address in network:
                return network
        return None


@dataclass(frozen=True, slots=True)
class TransportIs:
    transports: frozenset[str]
    key: str = "transport"

    def check(self, view: RequestView, now: float) -> Check:
        ok = view.transport.lower() in self.transports
        word = "in" if ok else "not in"
        return Check(ok, f"transport {view.transport} {word} {_set(self.transports)}")

    def test(self, view: RequestView, now: float) -> Check | None:
        return HELD if view.transport.lower() in self.transports else None


@dataclass(frozen=True, slots=True)
class AuthenticatedIs:
    """`true`: any authenticated user; `false`: none; a string: that user."""

    expected: bool | str
    key: str = "authenticated"

    def check(self, view: RequestView, now: float) -> Check:
        who = view.authenticated
        said = "not authenticated" if who is None else f"authenticated as {who}"
        return Check(_wanted(who, self.expected), f"{said} (wanted {_show(self.expected)})")

    def test(self, view: RequestView, now: float) -> Check | None:
        return HELD if _wanted(view.authenticated, self.expected) else None


@dataclass(frozen=True, slots=True)
class TrustedIs:
    """`true`: from any trusted peer; `false`: from none; a string: from that peer."""

    expected: bool | str
    key: str = "trusted"

    def check(self, view: RequestView, now: float) -> Check:
        name = None if view.trusted is None else view.trusted.name
        said = "from no trusted peer" if name is None else f"from trusted peer {name}"
        return Check(_wanted(name, self.expected), f"{said} (wanted {_show(self.expected)})")

    def test(self, view: RequestView, now: float) -> Check | None:
        name = None if view.trusted is None else view.trusted.name
        return HELD if _wanted(name, self.expected) else None


@dataclass(frozen=True, slots=True)
class Flag:
    """`from_local` / `ruri_local`: whether that domain is one we serve."""

    key: str
    expected: bool
    value: Callable[[RequestView], bool]

    def check(self, view: RequestView, now: float) -> Check:
        actual = self.value(view)
        return Check(actual == self.expected, f"{self.key} is {_show(actual)}")

    def test(self, view: RequestView, now: float) -> Check | None:
        return HELD if self.value(view) == self.expected else None


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Local time in [start, end) (minutes after midnight; end < start wraps past midnight) on
    one of `days` (0 = Monday), in `zone`."""

    start: int
    end: int
    days: frozenset[int]
    zone: ZoneInfo
    key: str = "time"

    def check(self, view: RequestView, now: float) -> Check:
        local = datetime.fromtimestamp(now, self.zone)
        inside, on_day = self._placed(local)
        stamp = f"{DAYS[local.weekday()]} {local:%H:%M} {self.zone.key}"
        window = f"{_clock(self.start)}-{_clock(self.end)} {_days(self.days)}"
        return Check(
            inside and on_day, f"time {stamp} {'in' if inside and on_day else 'outside'} {window}"
        )

    def test(self, view: RequestView, now: float) -> Check | None:
        inside, on_day = self._placed(datetime.fromtimestamp(now, self.zone))
        return HELD if inside and on_day else None

    def _placed(self, local: datetime) -> tuple[bool, bool]:
        """(inside the minutes of the window, on one of its days)."""
        minute = local.hour * 60 + local.minute
        if self.start <= self.end:
            inside = self.start <= minute < self.end
        else:
            inside = minute >= self.start or minute < self.end
        return inside, local.weekday() in self.days


@dataclass(frozen=True, slots=True)
class HeaderMatches:
    """Some value of header `name` matches `regex`."""

    name: str
    regex: re.Pattern[str]
    key: str = "header"

    def check(self, view: RequestView, now: float) -> Check:
        values = view.headers(self.name)
        for value in values:
            found = self.regex.fullmatch(value)
            if found is not None:
                named = {k: v or "" for k, v in found.groupdict().items()}
                return Check(True, f'header {self.name} "{value}" matches', named=named)
        if not values:
            return Check(False, f"header {self.name} absent")
        return Check(False, f"header {self.name} does not match '{self.regex.pattern}'")

    def test(self, view: RequestView, now: float) -> Check | None:
        for value in view.headers(self.name):
            found = self.regex.fullmatch(value)
            if found is not None:
                named = {k: v or "" for k, v in found.groupdict().items()}
                return Check(True, "", named=named) if named else HELD
        return None


@dataclass(frozen=True, slots=True)
class Match:
    """All `conditions` must hold; `numbered` is the key whose groups are `$1`, `$2`, ..."""

    conditions: tuple[Condition, ...] = ()
    numbered: str | None = None

    def evaluate(self, view: RequestView, now: float) -> tuple[bool, list[str], Captures]:
        """(matched, trace phrases, captures); stops at the first condition that fails."""
        said: list[str] = []
        numbered: tuple[str, ...] = ()
        named: dict[str, str] = {}
        for condition in self.conditions:
            check = condition.check(view, now)
            said.append(check.text)
            if not check.ok:
                return False, said, Captures()
            if condition.key == self.numbered:
                numbered = check.groups
            named.update(check.named)
        return True, said, Captures(numbered, named)

    def test(self, view: RequestView, now: float) -> Captures | None:
        """`evaluate` without the phrases: the captures when every condition holds, else None."""
        numbered: tuple[str, ...] = ()
        named: dict[str, str] = {}
        for condition in self.conditions:
            check = condition.test(view, now)
            if check is None:
                return None
            if condition.key == self.numbered:
                numbered = check.groups
            if check.named:
                named.update(check.named)
        return Captures(numbered, named) if numbered or named else NO_CAPTURES


def _wanted(actual: str | None, expected: bool | str) -> bool:
    """`true`: any (not None); `false`: none; a string: that one."""
    if expected is False:
        return actual is None
    return actual == expected if isinstance(expected, str) else actual is not None


def _set(values: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(values)) + "}"


def _show(value: bool | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(days: frozenset[int]) -> str:
    if len(days) == len(DAYS):
        return "every day"
    return ",".join(DAYS[d] for d in sorted(days))
