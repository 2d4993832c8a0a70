"""`compile_rules(config)`: the routing tables of a loaded config, checked and compiled.

How this works: `load_config` leaves `[[rules]]`, `[gateways.NAME]`, `[lcr]` and `[[trusted]]`
as written (`Config.routing`). `compile_rules` checks them all and returns an immutable
`Routing`, or `Rejected` with one `ConfigError` per broken item ("FILE:LINE: ..."), so a reload
can keep the running `Routing` and say why. Without `[[rules]]` the rules are the built-in
default table (`routing.default`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import MappingProxyType

from sipwarden.config.errors import ConfigError
from sipwarden.config.model import Config
from sipwarden.config.show import show
from sipwarden.config.where import Where
from sipwarden.routing.default import default_table
from sipwarden.routing.gateways import GatewayGroup
from sipwarden.routing.lcr import LcrTable
from sipwarden.routing.parse_gateways import parse_group, parse_lcr
from sipwarden.routing.parse_rules import Names, parse_rule
from sipwarden.routing.parse_trust import parse_peer
from sipwarden.routing.reader import NAME_RE, Reader
from sipwarden.routing.table import Rule, RuleTable
from sipwarden.routing.trust import TrustedPeer, TrustTable


@dataclass(frozen=True, slots=True)
class Routing:
    """Everything routing needs, swapped whole on reload."""

    rules: RuleTable
    gateways: Mapping[str, GatewayGroup] = field(default_factory=lambda: MappingProxyType({}))
    trust: TrustTable = field(default_factory=TrustTable)

    @property
    def lcr(self) -> LcrTable:
        return self.rules.lcr

    def summary(self) -> str:
        """`N rules, M gateway groups` (with the trusted peers and LCR prefixes when any)."""
        text = _count(len(self.rules.rules), "rule")
        text += f", {_count(len(self.gateways), 'gateway group')}"
        if self.trust.peers:
            text += f", {_count(len(self.trust.peers), 'trusted peer')}"
        if self.lcr.entries:
            text += f", {_count(len(self.lcr.entries), 'LCR prefix', 'LCR prefixes')}"
        return text


@dataclass(frozen=True, slots=True)
class Rejected:
    """The routing tables did not compile; `errors` in file order, each one line."""

    errors: tuple[ConfigError, ...]

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def compile_rules(config: Config) -> Routing | Rejected:
    """The compiled routing of `config`, or why it cannot be compiled."""
    source = config.routing
    reader = Reader(Where(Path(source.path) if source.path else None, source.text))
    tables = dict(source.tables)
    peers = _peers(reader, tables.get("trusted"))
    groups = _groups(reader, tables.get("gateways"))
    lcr = _lcr(reader, tables.get("lcr"), _declared(tables.get("gateways")))
    names = Names(
        _declared(tables.get("gateways")), _peer_names(tables.get("trusted")), bool(lcr.entries)
    )
    rules = _rules(reader, tables.get("rules"), names)
    if reader.errors:
        errors = sorted(reader.errors, key=lambda e: _line_of(str(e)))
        return Rejected(tuple(errors))
    table = default_table(config.auth.authenticate_calls)
    if rules is not None:
        table = RuleTable(rules, lcr, str(source.path or "rules"))
    else:
        table = RuleTable(table.rules, lcr, table.source)
    return Routing(table, MappingProxyType(groups), TrustTable(tuple(peers)))


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _line_of(message: str) -> int:
    parts = message.split(":", 2)
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0


def _array(reader: Reader, raw: object, key: str) -> list[object]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.fail((key,), (), f"[[{key}]]: expected an array of tables, got {show(raw)}")
        return []
    return list(raw)


def _label(key: str, index: int, raw: object) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"[[{key}]] {index + 1}" + (f' "{name}"' if isinstance(name, str) else "")


def _peers(reader: Reader, raw: object) -> list[TrustedPeer]:
    peers: list[TrustedPeer] = []
    for index, item in enumerate(_array(reader, raw, "trusted")):
        base = ("trusted", f"#{index}")
        line = reader.line(*base)
        label = _label("trusted", index, item)
        peer = reader.item(base, label, partial(parse_peer, item, line))
        if peer is None:
            continue
        if any(p.name == peer.name for p in peers):
            reader.fail(base, ("name",), f'{label}: name: "{peer.name}" is used twice')
            continue
        peers.append(peer)
    return peers


def _groups(reader: Reader, raw: object) -> dict[str, GatewayGroup]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        reader.fail(
            ("gateways",), (), f"[gateways]: expected tables [gateways.NAME], got {show(raw)}"
        )
        return {}
    groups: dict[str, GatewayGroup] = {}
    for name, item in raw.items():
        base = ("gateways", name)
        label = f"[gateways.{name}]"
        if not NAME_RE.fullmatch(name):
            reader.fail(base, (), f"{label}: the group name may only use letters, digits, _ . + -")
            continue
        line = reader.line(*base)
        group = reader.item(base, label, partial(parse_group, name, item, line))
        if group is not None:
            groups[name] = group
    return groups


def _declared(raw: object) -> list[str]:
    """The gateway group names written, broken groups included (they have their own error)."""
    return list(raw) if isinstance(raw, dict) else []


def _peer_names(raw: object) -> list[str]:
    items = raw if isinstance(raw, list) else []
    return [str(i["name"]) for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]


def _lcr(reader: Reader, raw: object, groups: list[str]) -> LcrTable:
    if raw is None:
        return LcrTable()
    table = reader.item(("lcr",), "[lcr]", partial(parse_lcr, raw, groups))
    return table or LcrTable()


def _rules(reader: Reader, raw: object, names: Names) -> tuple[Rule, ...] | None:
    if raw is None:
        return None
    rules: list[Rule] = []
    for index, item in enumerate(_array(reader, raw, "rules")):
        base = ("rules", f"#{index}")
        line = reader.line(*base)
        parse = partial(parse_rule, index + 1, item, names, line)
        label = _label("rules", index, item)
        rule = reader.item(base, label, parse)
        if rule is not None and any(r.name == rule.name for r in rules):
            reader.fail(base, ("name",), f'{label}: name: "{rule.name}" is used twice')
        elif rule is not None:
            rules.append(rule)
    return tuple(rules)
