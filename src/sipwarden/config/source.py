"""Reading and parsing the configuration file, with errors as `FILE:LINE: what is wrong`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from sipwarden.config.errors import ConfigError

# Python 3.11's TOMLDecodeError carries the position only in its message.
_POSITION_RE = re.compile(r"(.*) \(at line (\d+), column (\d+)\)", re.DOTALL)
_END_RE = re.compile(r"(.*) \(at end of document\)", re.DOTALL)


def read_text(path: Path) -> str:
    """The file's text; ConfigError `FILE: cannot read: ...` or `FILE:LINE: not valid UTF-8`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8 text") from None


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """The TOML document; ConfigError `FILE:LINE: invalid TOML at column N: ...` when bad."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_message(path, text, str(exc))) from None


def _syntax_message(path: Path, text: str, message: str) -> str:
    at = _POSITION_RE.fullmatch(message)
    if at:
        return f"{path}:{at[2]}: invalid TOML at column {at[3]}: {at[1]}"
    end = _END_RE.fullmatch(message)
    if end:
        return f"{path}:{max(1, len(text.splitlines()))}: invalid TOML at end of file: {end[1]}"
    return f"{path}: invalid TOML: {message}"
