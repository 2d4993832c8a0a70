"""The admin token file: `admin.token` in the data directory (or `[admin] token_file`), 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sipwarden.config.model import Config

TOKEN_NAME = "admin.token"
TOKEN_BYTES = 32  # 256 bits, URL-safe base64


def token_path(config: Config) -> Path:
    """`[admin] token_file`, else DATA_DIR/admin.token."""
    configured = config.admin.token_file
    return Path(configured) if configured else Path(config.server.data_dir) / TOKEN_NAME


def read_token(path: Path) -> str | None:
    """The token in `path` (first line, stripped); None when the file is missing or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    lines = text.strip().splitlines()
    return lines[0].strip() if lines and lines[0].strip() else None


def create_token(path: Path, *, replace: bool = False) -> str:
    """The existing token, or a new random one written to `path` with mode 0600.

    `replace` writes a new token even when one exists (the old one stops working)."""
    existing = None if replace else read_token(path)
    if existing is not None:
        return existing
    token = secrets.token_urlsafe(TOKEN_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    os.chmod(temporary, 0o600)  # O_CREAT's mode does not apply to an existing file
    os.replace(temporary, path)
    return token
