"""Where CDRs go: a CSV file per UTC day in DATA_DIR/cdr/ and the `cdr` table of the database.

How this works: `CdrWriter.write(cdr)` appends one row to `cdr/cdr-YYYY-MM-DD.csv` (the day the
call ended, UTC; a new file starts with the header row, so files rotate daily by name) and
inserts it into SQLite (`SqliteCdrStore`, migrated with storage/sqlite.py). A failing sink is
logged and counted, never raised: losing a record must not break the call path. Each write is
one short append or one insert, cheap enough for the event loop at call rates.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from sipwarden.observe.cdr import Cdr
from sipwarden.storage.sqlite import connect, database_path, migrate

log = logging.getLogger(__name__)
FIELDS = tuple(field.name for field in dataclasses.fields(Cdr))
CSV_DIR = "cdr"
_COLUMNS = (
    "call_id, caller, callee, source, start_time, answer_time, end_time, duration,"
    " billable_seconds, disposition, status, reason, ended_by"
)
MIGRATIONS = (
    "CREATE TABLE cdr ("
    " id INTEGER PRIMARY KEY,"
    " call_id TEXT NOT NULL, caller TEXT NOT NULL, callee TEXT NOT NULL, source TEXT NOT NULL,"
    " start_time REAL NOT NULL, answer_time REAL, end_time REAL NOT NULL,"
    " duration REAL NOT NULL, billable_seconds INTEGER NOT NULL,"
    " disposition TEXT NOT NULL, status INTEGER NOT NULL, reason TEXT NOT NULL,"
    " ended_by TEXT NOT NULL);"
    "CREATE INDEX cdr_start ON cdr (start_time)",
)


def iso(at: float | None) -> str:
    """`at` (epoch seconds) as RFC 3339 UTC with milliseconds; "" for None."""
    if at is None:
        return ""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def csv_row(cdr: Cdr) -> list[str]:
    """The CSV cells of `cdr`, in `FIELDS` order (times in RFC 3339 UTC)."""
    values = dataclasses.asdict(cdr)
    for name in ("start", "answer", "end"):
        values[name] = iso(values[name])
    values["duration"] = f"{cdr.duration:.3f}"
    return [str(values[name]) for name in FIELDS]


def csv_text(cdrs: Iterable[Cdr]) -> str:
    """A whole CSV document (header row first), for `sipwarden cdr export`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    writer.writerows(csv_row(cdr) for cdr in cdrs)
    return out.getvalue()


class CsvCdrWriter:
    """Appends CDRs to `directory/cdr-YYYY-MM-DD.csv`, one file per UTC day of the call's end."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, cdr: Cdr) -> Path:
        day = datetime.fromtimestamp(cdr.end, UTC).date()
        return self.directory / f"cdr-{day.isoformat()}.csv"

    def write(self, cdr: Cdr) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(cdr)
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\r\n")
            if new:
                writer.writerow(FIELDS)
            writer.writerow(csv_row(cdr))


class SqliteCdrStore:
    """The `cdr` table on an open connection (storage/sqlite.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        migrate(conn, "cdr", MIGRATIONS)

    def add(self, cdr: Cdr) -> None:
        self.conn.execute(
            f"INSERT INTO cdr ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            dataclasses.astuple(cdr),
        )

    def list(
        self,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[Cdr]:
        """Records whose call started in [since, until), newest first unless told otherwise."""
        order = "DESC" if newest_first else "ASC"
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM cdr WHERE start_time >= ? AND start_time < ?"
            f" ORDER BY start_time {order}, id {order} LIMIT ?",
            (
                -1.0 if since is None else since,
                float("inf") if until is None else until,
                -1 if limit is None else limit,
            ),
        ).fetchall()
        return [Cdr(*row) for row in rows]


class CdrWriter:
    """Writes each CDR to the sinks the `[cdr]` section turns on; `close()` when done."""

    def __init__(
        self, data_dir: str | Path, use_csv: bool = True, use_database: bool = True
    ) -> None:
        self.errors = 0
        self.written = 0
        self._csv = CsvCdrWriter(Path(data_dir) / CSV_DIR) if use_csv else None
        self._conn = connect(database_path(data_dir)) if use_database else None
        try:
            self._store = SqliteCdrStore(self._conn) if self._conn is not None else None
        except BaseException:
            self.close()
            raise

    def write(self, cdr: Cdr) -> None:
        """Record `cdr` everywhere configured; a failing sink is logged and counted."""
        if self._csv is not None:
            self._guarded("csv", self._csv.write, cdr)
        if self._store is not None:
            self._guarded("database", self._store.add, cdr)
        self.written += 1

    def _guarded(self, name: str, sink: Callable[[Cdr], None], cdr: Cdr) -> None:
        try:
            sink(cdr)
        except (OSError, sqlite3.Error, csv.Error) as exc:
            self.errors += 1
            log.warning("cdr not written to %s call_id=%s: %s", name, cdr.call_id, exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._store = None
