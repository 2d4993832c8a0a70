"""`load_config`: the TOML file, checked key by key, then the command-line overrides.

Every error is a ConfigError with one line `FILE:LINE: [section] key: what is wrong`, or
`--flag: what is wrong` for a value given on the command line.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from sipwarden.config import admin_checks, checks, storage_checks
from sipwarden.config.errors import ConfigError, Invalid
from sipwarden.config.model import ROUTING_TABLES, Config, Overrides, RoutingSource
from sipwarden.config.rules import problems
from sipwarden.config.schema import PATH_KEYS, SECTIONS
from sipwarden.config.show import show
from sipwarden.config.source import parse_toml, read_text
from sipwarden.config.where import Where

Values = dict[str, dict[str, Any]]
Flags = dict[tuple[str, str], str]


def load_config(path: str | Path | None, overrides: Overrides | None = None) -> Config:
    """The configuration from `path` (None: defaults only) with `overrides` applied."""
    where, document = _open(path)
    values = _sections(document, where)
    flags = _apply(values, overrides or Overrides())
    sections = {name: SECTIONS[name][0](**keys) for name, keys in values.items()}
    config = Config(**sections, routing=_routing(path, where, document))
    _check_rules(config, where, flags)
    return config


def _open(path: str | Path | None) -> tuple[Where, dict[str, Any]]:
    if path is None:
        return Where(), {}
    file = Path(path)
    text = read_text(file)
    return Where(file, text), parse_toml(file, text)


def _sections(document: dict[str, Any], where: Where) -> Values:
    values: Values = {name: {} for name in SECTIONS}
    for name, table in document.items():
        if name in ROUTING_TABLES:
            continue  # checked by sipwarden.routing.compile_rules
        if name not in SECTIONS or not isinstance(table, dict):
            raise ConfigError(f"{where.at(name)}: {_not_a_section(name, table)}")
        values[name] = _section(name, table, where)
    return values


def _routing(path: str | Path | None, where: Where, document: dict[str, Any]) -> RoutingSource:
    tables = tuple((name, value) for name, value in document.items() if name in ROUTING_TABLES)
    if path is None:
        return RoutingSource(tables=tables)
    return RoutingSource(str(path), where.text, tables)


def _not_a_section(name: str, table: object) -> str:
    if name in SECTIONS:
        return f"[{name}]: expected a table, got {show(table)}"
    if isinstance(table, dict):
        return f"unknown section [{name}]{_suggest(name, list(SECTIONS), '[{}]')}"
    owners: dict[str, str] = {}
    for section, (_, keys) in SECTIONS.items():
        for key in keys:
            owners.setdefault(key, section)  # a key in two sections: hint the first ([server])
    hint = difflib.get_close_matches(name, list(owners), n=1)
    where = f"; did you mean [{owners[hint[0]]}] {hint[0]}?" if hint else ""
    return f"{name}: settings go inside a [section]{where}"


def _section(name: str, table: dict[str, Any], where: Where) -> dict[str, Any]:
    known = SECTIONS[name][1]
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in known:
            hint = _suggest(key, list(known), '"{}"')
            raise ConfigError(f'{where.at(name, key)}: [{name}] unknown key "{key}"{hint}')
        try:
            values[key] = known[key](raw)
        except Invalid as exc:
            prefix = where.at(name, key, item=exc.item)
            raise ConfigError(f"{prefix}: [{name}] {key}: {exc.message}") from None
        if (name, key) in PATH_KEYS and values[key]:
            values[key] = where.resolve(values[key])
    return values


def _suggest(word: str, options: list[str], form: str) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    if close:
        return f"; did you mean {form.format(close[0])}?"
    return f" (expected one of {', '.join(form.format(option) for option in options)})"


def _apply(values: Values, overrides: Overrides) -> Flags:
    given: list[tuple[str, str, checks.Checker, object]] = []
    if overrides.data_dir is not None:
        given.append(("--data-dir", "data_dir", checks.nonempty_string, overrides.data_dir))
    if overrides.domains:
        given.append(("--domain", "domains", checks.array(checks.domain), [*overrides.domains]))
    if overrides.listen:
        given.append(("--listen", "listen", checks.array(checks.listen), [*overrides.listen]))
    for flag, key, check, raw in given:
        try:
            values["server"][key] = check(raw)
        except Invalid as exc:
            raise ConfigError(f"{flag}: {exc.message}") from None
    flags = {("server", key): flag for flag, key, _, _ in given}
    if overrides.admin is not None:
        try:
            values["admin"]["listen"] = admin_checks.listen(overrides.admin)
        except Invalid as exc:
            raise ConfigError(f"--admin: {exc.message}") from None
        flags["admin", "listen"] = "--admin"
    flags.update(_apply_stores(values, overrides))
    return flags


def _apply_stores(values: Values, overrides: Overrides) -> Flags:
    """--storage and --state replace `[storage] url` and `[state] url`."""
    given = [("--storage", "storage", storage_checks.storage_url, overrides.storage),
             ("--state", "state", storage_checks.state_url, overrides.state)]  # fmt: skip
    flags: Flags = {}
    for flag, section, check, raw in given:
        if raw is None:
            continue
        try:
            values[section]["url"] = check(raw)
        except Invalid as exc:
            raise ConfigError(f"{flag}: {exc.message}") from None
        flags[section, "url"] = flag
    return flags


def _check_rules(config: Config, where: Where, flags: Flags) -> None:
    for problem in problems(config):
        section, keys = problem.section, problem.keys
        flag = next((flags[section, k] for k in keys if (section, k) in flags), None)
        if flag is not None:
            raise ConfigError(f"{flag}: {problem.message}")
        key = next((k for k in keys if where.written(section, k)), keys[0])
        raise ConfigError(f"{where.at(section, key)}: [{section}] {problem.message}")
