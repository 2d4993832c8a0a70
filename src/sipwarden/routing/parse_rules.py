"""`[[rules]]` from the config file into `Rule`s (pure); see docs/routing.md for the keys."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sipwarden.config.show import show
from sipwarden.errors import ParseError
from sipwarden.routing import reader as r
from sipwarden.routing.actions import (
    ChallengeSpec,
    ForwardSpec,
    LookupSpec,
    RedirectSpec,
    ReplySpec,
    Rewrite,
    SetHeaderSpec,
    TerminalSpec,
)
from sipwarden.routing.match import (
    DAYS,
    AuthenticatedIs,
    Condition,
    Flag,
    HeaderMatches,
    Match,
    MethodIs,
    Pattern,
    SourceIn,
    TimeWindow,
    TransportIs,
    TrustedIs,
)
from sipwarden.routing.request import RequestView
from sipwarden.routing.table import Rule
from sipwarden.routing.template import Template, TemplateError, parse_template
from sipwarden.sip import SipUri, TelUri, parse_uri
from sipwarden.sip.status import reason_for

Path = r.Path
TERMINALS = ("lookup", "forward", "reply", "challenge", "redirect")
MODIFIERS = ("rewrite", "set_header", "remove_header")
RULE_KEYS = ("name", "match", *MODIFIERS, *TERMINALS)
TRANSPORTS = ("udp", "tcp", "tls", "ws", "wss")
FIELDS: dict[str, Callable[[RequestView], str | None]] = {
    "ruri": lambda v: v.ruri,
    "ruri_user": lambda v: v.ruri_user,
    "ruri_domain": lambda v: v.ruri_domain,
    "from_user": lambda v: v.from_user,
    "from_domain": lambda v: v.from_domain,
    "to_user": lambda v: v.to_user,
    "to_domain": lambda v: v.to_domain,
}
FLAGS: dict[str, Callable[[RequestView], bool]] = {
    "from_local": lambda v: v.from_local,
    "ruri_local": lambda v: v.ruri_local,
}
MATCH_KEYS = (
    "method",
    *FIELDS,
    *FLAGS,
    "source",
    "transport",
    "authenticated",
    "trusted",
    "time",
    "days",
    "timezone",
    "header",
)
TOKEN_RE = re.compile(r"[A-Za-z0-9!%'*+\-.^_`|~]+")
CLOCK_RE = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
# Headers the proxy core owns (RFC 3261 §16.6); rules may not set or remove them.
PROTECTED = frozenset(
    (
        *("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq", "max-forwards"),
        *("route", "record-route", "contact", "m", "content-length", "l", "content-type", "c"),
        *("proxy-authorization", "authorization"),
    )
)


class Names:
    """Names the rules may refer to: gateway groups, trusted peers, whether [lcr] has entries."""

    def __init__(self, gateways: Collection[str], trusted: Collection[str], lcr: bool) -> None:
        self.gateways = gateways
        self.trusted = trusted
        self.lcr = lcr


def parse_rule(number: int, raw: object, names: Names, line: int | None) -> Rule:
    entry = r.table(raw, ())
    r.known_keys(entry, RULE_KEYS, ())
    name = r.name(entry["name"], ("name",)) if "name" in entry else f"rule-{number}"
    match = _match(entry.get("match", {}), names)
    groups, named = _groups(match)
    return Rule(
        number,
        name,
        match,
        _rewrites(entry.get("rewrite")),
        _set_headers(entry.get("set_header"), groups, named),
        _remove_headers(entry.get("remove_header")),
        _terminal(entry, names, groups, named),
        line,
    )


# ----- match -------------------------------------------------------------------------------
def _match(raw: object, names: Names) -> Match:
    path: Path = ("match",)
    values = r.table(raw, path)
    r.known_keys(values, MATCH_KEYS, path)
    conditions: list[Condition] = []
    for key, value in values.items():
        at = (*path, key)
        if key == "header":
            conditions.extend(_headers(value, at))
            continue
        condition = _condition(key, value, at, names)
        if condition is not None:
            conditions.append(condition)
    if "time" in values or "days" in values:
        conditions.append(_time(values, path))
    elif "timezone" in values:
        raise r.Bad((*path, "timezone"), "timezone needs time or days")
    numbered = next((k for k in ("ruri_user", "ruri") if k in values), None)
    return Match(tuple(conditions), numbered)


def _condition(key: str, value: object, at: Path, names: Names) -> Condition | None:
    if key == "method":
        return MethodIs(frozenset(_method(m, at) for m in r.strings(value, at)))
    if key in FIELDS:
        flags = re.IGNORECASE if key.endswith("domain") else 0
        return Pattern(key, r.regex(value, at, flags), FIELDS[key])
    if key in FLAGS:
        return Flag(key, r.boolean(value, at), FLAGS[key])
    if key == "source":
        return SourceIn(r.networks(value, at))
    if key == "transport":
        return TransportIs(frozenset(r.choice(t, at, TRANSPORTS) for t in r.strings(value, at)))
    if key == "authenticated":
        return AuthenticatedIs(_bool_or_string(value, at))
    if key == "trusted":
        return TrustedIs(_trusted(value, at, names))
    return None  # time, days, timezone: one TimeWindow


def _method(text: str, at: Path) -> str:
    if not TOKEN_RE.fullmatch(text):
        raise r.Bad(at, f'"{text}" is not a SIP method name', text)
    return text.upper()


def _bool_or_string(value: object, at: Path) -> bool | str:
    if isinstance(value, bool | str) and value != "":
        return value
    raise r.Bad(at, f"expected true, false or a name, got {show(value)}")


def _trusted(value: object, at: Path, names: Names) -> bool | str:
    expected = _bool_or_string(value, at)
    if isinstance(expected, str) and expected not in names.trusted:
        raise r.Bad(at, f'no [[trusted]] peer is named "{expected}"', expected)
    return expected


def _headers(value: object, at: Path) -> list[HeaderMatches]:
    headers = r.table(value, at)
    if not headers:
        raise r.Bad(at, "expected { Name = 'pattern' }, got an empty table")
    return [
        HeaderMatches(_header_name(name, (*at, name), check=False), r.regex(p, (*at, name)))
        for name, p in headers.items()
    ]


def _time(values: dict[str, object], path: Path) -> TimeWindow:
    start, end = 0, 24 * 60
    if "time" in values:
        start, end = _window(r.string(values["time"], (*path, "time")), (*path, "time"))
    days = frozenset(range(7))
    if "days" in values:
        days = _days(r.strings(values["days"], (*path, "days")), (*path, "days"))
    zone = ZoneInfo("UTC")
    if "timezone" in values:
        zone = _zone(r.string(values["timezone"], (*path, "timezone")), (*path, "timezone"))
    return TimeWindow(start, end, days, zone)


def _window(text: str, at: Path) -> tuple[int, int]:
    first, dash, second = text.partition("-")
    clocks = [CLOCK_RE.fullmatch(part.strip()) for part in (first, second)]
    if not dash or None in clocks:
        raise r.Bad(at, f'expected "HH:MM-HH:MM", got "{text}"')
    start, end = (int(m[1]) * 60 + int(m[2]) for m in clocks if m is not None)
    if start > 24 * 60 or end > 24 * 60 or start == end:
        raise r.Bad(at, f'"{text}" is not a time window (00:00 to 24:00, start != end)')
    return start, end


def _days(texts: list[str], at: Path) -> frozenset[int]:
    days: set[int] = set()
    for text in texts:
        first, _, last = text.lower().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise r.Bad(at, f'"{text}" is not a day or range of days (mon..sun, "mon-fri")', text)
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return frozenset(days)


def _zone(text: str, at: Path) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.Bad(at, f'unknown time zone "{text}" (an IANA name like "Europe/Berlin")') from None


def _groups(match: Match) -> tuple[int, frozenset[str]]:
    count = 0
    named: set[str] = set()
    for condition in match.conditions:
        regex = getattr(condition, "regex", None)
        if isinstance(regex, re.Pattern):
            named.update(regex.groupindex)
            if condition.key == match.numbered:
                count = regex.groups
    return count, frozenset(named)


# ----- modifiers ---------------------------------------------------------------------------
def _rewrites(raw: object) -> tuple[Rewrite, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(_rewrite(item, ("rewrite",)) for item in items)


def _rewrite(raw: object, at: Path) -> Rewrite:
    values = r.table(raw, at)
    r.known_keys(values, ("pattern", "replace", "strip", "prefix"), at)
    if not values:
        raise r.Bad(at, "expected pattern and replace, strip or prefix")
    if ("pattern" in values) != ("replace" in values):
        raise r.Bad(at, "pattern and replace go together")
    pattern = replace = None
    if "pattern" in values:
        pattern = r.regex(values["pattern"], (*at, "pattern"))
        text = r.string(values["replace"], (*at, "replace"))
        replace = _template(text, pattern.groups, frozenset(pattern.groupindex), (*at, "replace"))
    strip = r.integer(values.get("strip", 0), (*at, "strip"), 0, 64)
    prefix = r.string(values.get("prefix", ""), (*at, "prefix"))
    return Rewrite(pattern, replace, strip, prefix)


def _set_headers(raw: object, groups: int, named: frozenset[str]) -> tuple[SetHeaderSpec, ...]:
    if raw is None:
        return ()
    at: Path = ("set_header",)
    specs = []
    for name, value in r.table(raw, at).items():
        text = r.string(value, (*at, name))
        if "\r" in text or "\n" in text:
            raise r.Bad((*at, name), "a header value cannot contain line breaks")
        template = _template(text, groups, named, (*at, name))
        specs.append(SetHeaderSpec(_header_name(name, (*at, name)), template))
    return tuple(specs)


def _remove_headers(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    at: Path = ("remove_header",)
    return tuple(_header_name(name, at) for name in r.strings(raw, at))


def _header_name(name: str, at: Path, *, check: bool = True) -> str:
    """A header name; with `check`, one rules may change (not in PROTECTED)."""
    if not TOKEN_RE.fullmatch(name):
        raise r.Bad(at, f'"{name}" is not a header name', name)
    if check and name.lower() in PROTECTED:
        raise r.Bad(at, f"{name} is managed by the proxy and cannot be changed by rules", name)
    return name


# ----- the terminal action -----------------------------------------------------------------
def _terminal(
    entry: dict[str, object], names: Names, groups: int, named: frozenset[str]
) -> TerminalSpec | None:
    given = [key for key in TERMINALS if key in entry]
    if len(given) > 1:
        raise r.Bad((given[1],), f"a rule has one action, this one has {' and '.join(given)}")
    if not given:
        if not any(key in entry for key in MODIFIERS):
            raise r.Bad((), f"a rule needs an action ({', '.join(TERMINALS)}) or a modifier")
        return None
    key = given[0]
    value, at = entry[key], (key,)
    if key == "lookup":
        return _enabled(LookupSpec(), value, at)
    if key == "forward":
        return _forward(value, at, names, groups, named)
    if key == "reply":
        return _reply(value, at)
    if key == "challenge":
        return _challenge(value, at)
    return RedirectSpec(_uri(value, at, groups, named))


def _enabled(spec: LookupSpec, value: object, at: Path) -> LookupSpec:
    if value is not True:
        raise r.Bad(at, f"expected true, got {show(value)} (leave the key out instead)")
    return spec


def _forward(
    value: object, at: Path, names: Names, groups: int, named: frozenset[str]
) -> ForwardSpec:
    if value is True:
        return ForwardSpec()
    if isinstance(value, str):
        return ForwardSpec(uri=_uri(value, at, groups, named))
    values = r.table(value, at)
    r.known_keys(values, ("uri", "gateway", "lcr"), at)
    if len(values) != 1:
        raise r.Bad(at, "expected one of uri, gateway or lcr = true")
    if "uri" in values:
        return ForwardSpec(uri=_uri(values["uri"], (*at, "uri"), groups, named))
    if "gateway" in values:
        return ForwardSpec(gateway=_gateway(values["gateway"], (*at, "gateway"), names))
    if values["lcr"] is not True:
        raise r.Bad((*at, "lcr"), f"expected true, got {show(values['lcr'])}")
    if not names.lcr:
        raise r.Bad((*at, "lcr"), "lcr = true needs an [lcr] table with at least one prefix")
    return ForwardSpec(lcr=True)


def _gateway(value: object, at: Path, names: Names) -> str:
    group = r.string(value, at)
    if group not in names.gateways:
        known = ", ".join(sorted(names.gateways)) or "none defined"
        raise r.Bad(at, f'no gateway group "{group}" (groups: {known})', group)
    return group


def _uri(value: object, at: Path, groups: int, named: frozenset[str]) -> Template:
    template = _template(r.string(value, at), groups, named, at)
    try:
        uri = parse_uri(template.sample())
    except ParseError as exc:
        raise r.Bad(at, f'"{template.text}" is not a SIP, SIPS or tel URI: {exc.reason}') from None
    if not isinstance(uri, SipUri | TelUri):
        raise r.Bad(at, f'"{template.text}" is not a SIP, SIPS or tel URI')
    return template


def _template(text: str, groups: int, named: frozenset[str], at: Path) -> Template:
    try:
        return parse_template(text, groups, named)
    except TemplateError as exc:
        raise r.Bad(at, f'"{text}": {exc}') from None


def _reply(value: object, at: Path) -> ReplySpec:
    if isinstance(value, int) and not isinstance(value, bool):
        return ReplySpec(r.integer(value, at, 400, 699), reason_for(value))
    values = r.table(value, at)
    r.known_keys(values, ("code", "reason"), at)
    if "code" not in values:
        raise r.Bad(at, "reply needs a code")
    code = r.integer(values["code"], (*at, "code"), 400, 699)
    reason = r.string(values.get("reason", reason_for(code)), (*at, "reason"))
    if not reason.strip() or "\r" in reason or "\n" in reason:
        raise r.Bad((*at, "reason"), "expected a one-line reason phrase")
    return ReplySpec(code, reason)


def _challenge(value: object, at: Path) -> ChallengeSpec:
    if value is True:
        return ChallengeSpec()
    values = r.table(value, at)
    r.known_keys(values, ("realm",), at)
    return ChallengeSpec(r.string(values.get("realm"), (*at, "realm")) if values else None)
