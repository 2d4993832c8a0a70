"""Values as TOML writes them, for error messages: `got "abc"`, `got 1.5`, `got [1, 2]`."""

from __future__ import annotations

import datetime
import json


def show(value: object) -> str:
    """A short TOML-like rendering of a parsed TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return repr(value)
