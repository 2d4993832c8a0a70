"""The embedded SQLite database: WAL mode and versioned, all-or-nothing migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sipwarden.storage.sqlite import connect, database_path, migrate


def test_database_path_creates_the_data_dir(tmp_path: Path) -> None:
    path = database_path(tmp_path / "a" / "b")
    assert path == tmp_path / "a" / "b" / "sipwarden.db"
    assert path.parent.is_dir()


def test_connect_uses_wal(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_migrations_run_once_and_in_order(tmp_path: Path) -> None:
    steps = [
        "CREATE TABLE t (a INTEGER)",
        "ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t VALUES (1, 'x')",
    ]
    conn = connect(tmp_path / "x.db")
    try:
        assert migrate(conn, "demo", steps[:1]) == 1
        assert migrate(conn, "demo", steps) == 2
        assert migrate(conn, "demo", steps) == 2  # nothing new: the INSERT is not repeated
        assert conn.execute("SELECT a, b FROM t").fetchall() == [(1, "x")]
        assert migrate(conn, "other", ["CREATE TABLE u (c)"]) == 1  # versions are per component
    finally:
        conn.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        migrate(conn, "demo", ["CREATE TABLE t (a)"])
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, "demo", ["CREATE TABLE t (a)", "CREATE TABLE v (a); CREATE TABLE t (a)"])
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'v'").fetchall() == []
        assert migrate(conn, "demo", ["CREATE TABLE t (a)", "CREATE TABLE v (a)"]) == 2
    finally:
        conn.close()
