"""Reading the routing tables of the config file with errors at the right line (pure).

How this works: a `Reader` wraps the file's `Where` (config/locate.py finds the line of any
key path; arrays of tables are indexed as `("rules", "#0", ...)`). Parsing one item (a rule, a
gateway group, a trusted peer) raises `Bad` at its first problem; `Reader.item` turns that into
a `ConfigError` "FILE:LINE: [[rules]] 2 "pstn": match.ruri: what is wrong" and records it, so
one run reports a problem for every broken item.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from sipwarden.config.errors import ConfigError
from sipwarden.config.show import show
from sipwarden.config.where import Where
from sipwarden.routing.match import Network

T = TypeVar("T")
Path = tuple[str, ...]


class Bad(Exception):
    """A problem at `path` (keys below the item), optionally at array element `item`."""

    def __init__(self, path: Path, message: str, item: object = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.item = item


class Reader:
    """The errors found so far, and how to place a new one."""

    def __init__(self, where: Where) -> None:
        self.where = where
        self.errors: list[ConfigError] = []

    def item(self, base: Path, label: str, parse: Callable[[], T]) -> T | None:
        """`parse()`, or None after recording its problem as an error under `label`."""
        try:
            return parse()
        except Bad as bad:
            self.fail(base, bad.path, f"{label}: {_key(bad.path)}{bad.message}", bad.item)
            return None

    def fail(self, base: Path, path: Path, message: str, item: object = None) -> None:
        """Record `message` at the line of `base + path`; an element of an array of inline
        tables (`#N` in the path, not a `[[...]]` header) is found by its string `item`."""
        full = (*base, *path)
        marks = [n for n, part in enumerate(path) if part.startswith("#")]
        if marks and not self.where.written(*full):
            full = (*base, *path[: marks[0]])
        at = self.where.at(*full, item=item)
        self.errors.append(ConfigError(f"{at}: {message}"))

    def line(self, *path: str) -> int | None:
        at = self.where.at(*path)
        _, _, number = at.rpartition(":")
        return int(number) if number.isdigit() else None


def _key(path: Path) -> str:
    """`match.ruri_user: `, `destinations #2: ` (array elements counted from 1)."""
    shown = [f"#{int(p[1:]) + 1}" if p.startswith("#") else p for p in path]
    return ".".join(shown).replace(".#", " #") + ": " if path else ""


# ----- value checks: each raises Bad(path, ...) ----------------------------------------------
def table(value: object, path: Path) -> dict[str, object]:
    if not isinstance(value, dict):
        raise Bad(path, f"expected a table, got {show(value)}")
    return value


def known_keys(value: dict[str, object], keys: Iterable[str], path: Path) -> None:
    options = list(keys)
    for key in value:
        if key not in options:
            close = difflib.get_close_matches(key, options, n=1)
            hint = f'; did you mean "{close[0]}"?' if close else f" (expected {', '.join(options)})"
            raise Bad((*path, key), f'unknown key "{key}"{hint}')


def string(value: object, path: Path) -> str:
    if not isinstance(value, str):
        raise Bad(path, f"expected a string, got {show(value)}")
    return value


def strings(value: object, path: Path) -> list[str]:
    """A string or an array of strings, as a list."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Bad(path, f"expected a string or a non-empty array of strings, got {show(value)}")
    return [str(v) for v in value]


def boolean(value: object, path: Path) -> bool:
    if not isinstance(value, bool):
        raise Bad(path, f"expected true or false, got {show(value)}")
    return value


def integer(value: object, path: Path, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Bad(path, f"expected an integer from {low} to {high}, got {show(value)}")
    return value


def number(value: object, path: Path, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise Bad(path, f"expected a number >= {low:g}, got {show(value)}")
    return float(value)


def regex(value: object, path: Path, flags: int = 0) -> re.Pattern[str]:
    text = string(value, path)
    try:
        return re.compile(text, flags)
    except re.error as exc:
        raise Bad(path, f"invalid regular expression {show(text)}: {exc}", text) from None


def networks(value: object, path: Path) -> tuple[Network, ...]:
    found = []
    for text in strings(value, path):
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise Bad(path, f"{show(text)} is not an IP address or CIDR network", text) from None
    return tuple(found)


def choice(value: object, path: Path, options: tuple[str, ...]) -> str:
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    raise Bad(path, f"expected one of {', '.join(options)}, got {show(value)}", value)


NAME_RE = re.compile(r"[A-Za-z0-9_.+-]+")


def name(value: object, path: Path) -> str:
    text = string(value, path)
    if not NAME_RE.fullmatch(text):
        raise Bad(path, f"{show(text)} is not a name (letters, digits, _ . + -)")
    return text
