"""Configuration errors: one line, `FILE:LINE: what is wrong`, naming the key."""

from __future__ import annotations

from sipwarden.errors import LocalError


class ConfigError(LocalError):
    """The configuration file or a command-line override is invalid; the message says where."""


class Invalid(Exception):
    """A value failed its check; `item` is the array element at fault, if any.

    Internal to the config package: the loader turns it into a ConfigError that names the
    file, the line and the key.
    """

    def __init__(self, message: str, item: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item
