"""Checks for `[storage]` and `[state]`: the store URLs (docs/cluster.md).

Only parsing happens here (storage.urls imports no backend), so a wrong URL is a one-line
config error before the server opens anything.
"""

from __future__ import annotations

from collections.abc import Callable

from sipwarden.config.errors import Invalid
from sipwarden.config.show import show
from sipwarden.storage.urls import StoreUrl, StoreUrlError, check_state_url, check_storage_url


def storage_url(value: object) -> str:
    """Empty (the data directory's SQLite file), sqlite:///PATH or postgresql://..."""
    return _url(value, check_storage_url)


def state_url(value: object) -> str:
    """Empty (the data directory's SQLite file), sqlite:///PATH or redis://HOST:PORT/DB."""
    return _url(value, check_state_url)


def key_prefix(value: object) -> str:
    """A non-empty Redis key prefix without spaces or control characters."""
    if not isinstance(value, str) or not value:
        raise Invalid(f"expected a non-empty string, got {show(value)}")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise Invalid(f"a key prefix has no spaces or control characters, got {show(value)}")
    return value


def _url(value: object, check: Callable[[str], StoreUrl]) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected a URL string, got {show(value)}")
    try:
        check(value)
    except StoreUrlError as exc:
        raise Invalid(str(exc)) from None
    return value.strip()
