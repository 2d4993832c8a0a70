"""Value checkers: each takes a parsed TOML value and returns the config value or raises Invalid.

Checkers are built by small factories (`integer(1)`, `choices(...)`) so the schema reads as a
table; a checker's message says what was expected and what was found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sipwarden.config.errors import Invalid
from sipwarden.config.names import check_domain, split_address
from sipwarden.config.show import show
from sipwarden.transport.listen import ListenSpec, ListenSpecError, parse_listen

Checker = Callable[[object], Any]


def integer(low: int, high: int | None = None) -> Checker:
    """An integer in low..high (TOML floats and booleans are refused)."""
    wanted = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"

    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected {wanted}, got {show(value)}")
        if value < low or (high is not None and value > high):
            raise Invalid(f"expected {wanted}, got {show(value)}")
        return value

    return check


def positive_number(value: object) -> float:
    """A finite number > 0 (integer or float), as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"expected a number > 0, got {show(value)}")
    if not math.isfinite(value) or value <= 0:
        raise Invalid(f"expected a number > 0, got {show(value)}")
    return float(value)


def string(value: object) -> str:
    """Any string, empty included."""
    if not isinstance(value, str):
        raise Invalid(f"expected a string, got {show(value)}")
    return value


def nonempty_string(value: object) -> str:
    """A string that is not empty or blank."""
    if not string(value).strip():
        raise Invalid(f"expected a non-empty string, got {show(value)}")
    return str(value)


def boolean(value: object) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {show(value)}")
    return value


def choice(options: tuple[str, ...]) -> Checker:
    """One of `options`, matched case-insensitively and returned as spelled in `options`."""
    canonical = {option.lower(): option for option in options}

    def check(value: object) -> str:
        if isinstance(value, str) and value.lower() in canonical:
            return canonical[value.lower()]
        raise Invalid(f"expected one of {', '.join(options)}, got {show(value)}", value)

    return check


def array(item: Checker, *, nonempty: bool = False) -> Checker:
    """An array of strings, each checked by `item`; no duplicates; a tuple of the results."""

    def check(value: object) -> tuple[Any, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid(f"expected an array of strings, got {show(value)}")
        if nonempty and not value:
            raise Invalid("expected at least one entry, got []")
        results = tuple(item(element) for element in value)
        _no_duplicates(value, results)
        return results

    return check


def _no_duplicates(raw: list[str], results: tuple[Any, ...]) -> None:
    seen: set[Any] = set()
    for text, result in zip(raw, results):
        if result in seen:
            raise Invalid(f"{show(text)} is listed twice", text)
        seen.add(result)


def domain(value: object) -> str:
    """A hostname or IP address (array element)."""
    try:
        return check_domain(str(value))
    except ValueError as exc:
        raise Invalid(str(exc), value) from None


def address(value: object) -> str:
    """`user@domain` (array element), returned with the domain in canonical form."""
    try:
        user, host = split_address(str(value))
    except ValueError as exc:
        raise Invalid(str(exc), value) from None
    return f"{user}@{host}"


def listen(value: object) -> ListenSpec:
    """A listen spec `PROTO:HOST:PORT` (array element)."""
    try:
        return parse_listen(str(value))
    except ListenSpecError as exc:
        raise Invalid(str(exc), value) from None
