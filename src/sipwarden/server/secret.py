"""The server's nonce key: 32 random bytes kept in the data directory.

Nonces are HMACs under this key (RFC 7616 §3.3 leaves the nonce format to the server), so a
nonce issued before a restart still verifies after it, and every worker or node that shares
the data directory (or, in a cluster, the same key file) accepts the others' nonces.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRET_FILE = "nonce.key"
SIZE = 32


def load_or_create_secret(data_dir: str | Path) -> bytes:
    """Read `<data_dir>/nonce.key`, creating it (mode 0600, written atomically) if missing."""
    path = Path(data_dir) / SECRET_FILE
    if path.exists():
        secret = path.read_bytes()
        if len(secret) >= SIZE:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(os.urandom(SIZE))
    os.replace(temporary, path)
    return path.read_bytes()
