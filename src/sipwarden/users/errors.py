"""Errors of the user store: one line, naming the account (`alice@example.com already exists`)."""

from __future__ import annotations

from sipwarden.errors import LocalError


class UserError(LocalError):
    """An account operation cannot be done: bad name, already exists, does not exist."""
