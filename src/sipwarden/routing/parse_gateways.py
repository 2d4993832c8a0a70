"""`[gateways.NAME]` and `[lcr]` from the config file (pure); see docs/routing.md."""

from __future__ import annotations

import re
from collections.abc import Collection

from sipwarden.config.show import show
from sipwarden.errors import ParseError
from sipwarden.routing import reader as r
from sipwarden.routing.gateways import (
    Destination,
    Failover,
    GatewayGroup,
    Probing,
    Selection,
)
from sipwarden.routing.lcr import LcrEntry, LcrTable
from sipwarden.sip import SipUri, parse_uri

Path = r.Path
GROUP_KEYS = ("destinations", "select", "failover", "probe")
DESTINATION_KEYS = ("uri", "weight", "priority")
PROBE_KEYS = ("interval", "down_after", "up_after")
SELECTIONS = tuple(s.value for s in Selection)
CLASS_RE = re.compile(r"([3-6])xx")
PREFIX_RE = re.compile(r"\+?[0-9*#]*")


def parse_group(name: str, raw: object, line: int | None) -> GatewayGroup:
    values = r.table(raw, ())
    r.known_keys(values, GROUP_KEYS, ())
    if "destinations" not in values:
        raise r.Bad((), "a gateway group needs destinations")
    selection = Selection(r.choice(values.get("select", "round_robin"), ("select",), SELECTIONS))
    return GatewayGroup(
        name,
        _destinations(name, values["destinations"]),
        selection,
        _failover(values.get("failover")),
        _probing(values.get("probe")),
        line,
    )


def _destinations(group: str, raw: object) -> tuple[Destination, ...]:
    at: Path = ("destinations",)
    if not isinstance(raw, list) or not raw:
        raise r.Bad(at, f"expected a non-empty array of URIs or tables, got {show(raw)}")
    found: list[Destination] = []
    for index, item in enumerate(raw):
        try:
            destination = _destination(group, item, (*at, f"#{index}"))
        except r.Bad as bad:
            uri = item.get("uri") if isinstance(item, dict) else item
            raise r.Bad(bad.path, bad.message, bad.item or uri) from None
        if any(d.uri == destination.uri for d in found):
            raise r.Bad(at, f'"{destination.uri}" is listed twice', destination.uri)
        found.append(destination)
    return tuple(found)


def _destination(group: str, item: object, at: Path) -> Destination:
    if isinstance(item, str):
        return Destination(group, _gateway_uri(item, at))
    values = r.table(item, at)
    r.known_keys(values, DESTINATION_KEYS, at)
    if "uri" not in values:
        raise r.Bad(at, "a destination needs a uri")
    uri = _gateway_uri(r.string(values["uri"], (*at, "uri")), (*at, "uri"))
    weight = r.integer(values.get("weight", 1), (*at, "weight"), 1, 1000)
    priority = r.integer(values.get("priority", 0), (*at, "priority"), 0, 1000)
    return Destination(group, uri, weight, priority)


def _gateway_uri(text: str, at: Path) -> str:
    try:
        uri = parse_uri(text)
    except ParseError as exc:
        raise r.Bad(at, f'"{text}" is not a SIP URI: {exc.reason}', text) from None
    if not isinstance(uri, SipUri):
        raise r.Bad(at, f'"{text}" is not a SIP or SIPS URI', text)
    return text


def _failover(raw: object) -> Failover:
    if raw is None:
        return Failover()
    at: Path = ("failover",)
    if not isinstance(raw, list):
        raise r.Bad(
            at, f'expected an array like [408, "5xx", "transport", "timeout"], got {show(raw)}'
        )
    codes: set[int] = set()
    for item in raw:
        codes.update(_codes(item, at))
    return Failover(frozenset(codes), "transport" in raw, "timeout" in raw)


def _codes(item: object, at: Path) -> range | tuple[int, ...]:
    if isinstance(item, int) and not isinstance(item, bool) and 300 <= item <= 699:
        return (item,)
    if item in ("transport", "timeout"):
        return ()
    found = CLASS_RE.fullmatch(item) if isinstance(item, str) else None
    if found is None:
        raise r.Bad(
            at, f'{show(item)} is not a status 300-699, "Nxx", "transport" or "timeout"', item
        )
    start = int(found[1]) * 100
    return range(start, start + 100)


def _probing(raw: object) -> Probing:
    if raw is None:
        return Probing()
    at: Path = ("probe",)
    values = r.table(raw, at)
    r.known_keys(values, PROBE_KEYS, at)
    default = Probing()
    return Probing(
        r.number(values.get("interval", default.interval), (*at, "interval"), 0),
        r.integer(values.get("down_after", default.down_after), (*at, "down_after"), 1, 100),
        r.integer(values.get("up_after", default.up_after), (*at, "up_after"), 1, 100),
    )


def parse_lcr(raw: object, groups: Collection[str]) -> LcrTable:
    values = r.table(raw, ())
    entries = []
    for prefix, names in values.items():
        at: Path = (prefix,)
        if not PREFIX_RE.fullmatch(prefix):
            raise r.Bad(at, f'"{prefix}" is not a number prefix (digits, optional leading +)')
        chosen = tuple(r.strings(names, at))
        for name in chosen:
            if name not in groups:
                raise r.Bad(at, f'no gateway group "{name}"', name)
        entries.append(LcrEntry(prefix, chosen))
    return LcrTable(tuple(entries))
