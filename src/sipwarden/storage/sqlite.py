"""The embedded database: one SQLite file in the data directory, shared by every store.

WAL mode lets readers run beside the one writer and keeps a crash from losing committed
writes; each component owns its tables and a list of migrations, applied in order at start-up
and recorded in `schema_version` so an upgrade only runs what is new.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

DB_NAME = "sipwarden.db"


def database_path(data_dir: str | Path) -> Path:
    """The SQLite file inside `data_dir` (created with its parents when missing)."""
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path / DB_NAME


def connect(path: str | Path) -> sqlite3.Connection:
    """Open `path` in WAL mode with autocommit off and a busy timeout for concurrent workers."""
    conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    return conn


def migrate(conn: sqlite3.Connection, component: str, migrations: Sequence[str]) -> int:
    """Apply `migrations[v:]` for `component` (v = its recorded version); returns the new version.

    Each migration is a script of SQL statements run in one transaction with its version bump,
    so a failed migration leaves the previous version intact.
    """
    row = conn.execute(
        "SELECT version FROM schema_version WHERE component = ?", (component,)
    ).fetchone()
    version = row[0] if row else 0
    for number, script in enumerate(migrations[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (component, version) VALUES (?, ?)"
                " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, number),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return max(version, len(migrations))


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
