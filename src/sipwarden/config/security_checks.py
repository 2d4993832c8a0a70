"""Value checkers of the `[security]` section (see `checks` for the pattern)."""

from __future__ import annotations

import ipaddress

from sipwarden.config.checks import positive_number, string
from sipwarden.config.errors import Invalid
from sipwarden.config.show import show
from sipwarden.security.config import (
    DESTINATION_CLASSES,
    VISUAL_SEPARATORS,
    parse_account_classes,
)


def network(value: object) -> str:
    """An IP network in CIDR form, or one address (array element); canonical text."""
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        raise Invalid(
            f"expected an IP network such as 192.0.2.0/24, got {show(value)}", value
        ) from None


def ip(value: object) -> str:
    """One IP address (array element), in canonical form."""
    try:
        return str(ipaddress.ip_address(str(value).strip("[]")))
    except ValueError:
        raise Invalid(f"expected an IP address, got {show(value)}", value) from None


def prefix(value: object) -> str:
    """A number prefix: an optional "+" then digits, visual separators allowed (array element)."""
    text = str(value)
    digits = "".join(ch for ch in text if ch not in VISUAL_SEPARATORS)
    body = digits[1:] if digits.startswith("+") else digits
    if not digits or not (body.isdigit() or (digits == "+")) or not body.isascii():
        raise Invalid(f"expected a number prefix such as +1900 or 0, got {show(value)}", value)
    return text


def user_agent(value: object) -> str:
    """A non-blank User-Agent substring (array element)."""
    if not str(value).strip():
        raise Invalid('expected a non-empty User-Agent substring, got ""', value)
    return str(value)


def account_classes(value: object) -> str:
    """`USER@DOMAIN=CLASS,CLASS` (array element)."""
    try:
        parse_account_classes(str(value))
    except ValueError as exc:
        raise Invalid(str(exc), value) from None
    return str(value)


def access_code(value: object) -> str:
    """The international access code: digits, or "" for none."""
    text = string(value)
    if text and not (text.isdigit() and text.isascii()):
        raise Invalid(f'expected digits such as "00" or "", got {show(value)}')
    return text


def factor(value: object) -> float:
    """A number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 1:
        raise Invalid(f"expected a number >= 1, got {show(value)}")
    return positive_number(value)


def fraction(value: object) -> float:
    """A number in (0, 1]."""
    number = positive_number(value)
    if number > 1:
        raise Invalid(f"expected a number > 0 and <= 1, got {show(value)}")
    return number


DESTINATION_CLASS_NAMES = DESTINATION_CLASSES
