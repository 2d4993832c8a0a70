"""Where CDRs go: a CSV file per UTC day in DATA_DIR/cdr/ and the `cdr` table of the database.

How this works: `CdrWriter.write(cdr)` appends one row to `cdr/cdr-YYYY-MM-DD.csv` (the day the
call ended, UTC; a new file starts with the header row, so files rotate daily by name) and
inserts it into SQLite (`SqliteCdrStore`, migrated with storage/sqlite.py). A failing sink is
logged and counted, never raised: losing a record must not break the call path. Each write is
one short append or one insert, cheap enough for the event loop at call rates.

Both sinks run on the event loop once per call, so rows are built from the fields by name:
`dataclasses.asdict`/`astuple` deep-copied every value and cost about 6% of a whole proxied
call (cProfile of benchmarks/hotpath.py). The CSV file of the current day stays open between
records instead of being created, checked and opened again for each one; see `CsvCdrWriter`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

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
    """The CSV cells of `cdr`, in `FIELDS` order (times in RFC 3339 UTC).

    Field by field rather than through `dataclasses.asdict` (a deep copy per record, see the
    module docstring); `str()` on every cell keeps the text asdict + str gave for any value.
    tests/unit/observe/test_cdr_writer.py checks the order against `FIELDS`."""
    return [
        str(cdr.call_id),
        str(cdr.caller),
        str(cdr.callee),
        str(cdr.source),
        iso(cdr.start),
        iso(cdr.answer),
        iso(cdr.end),
        f"{cdr.duration:.3f}",
        str(cdr.billable_seconds),
        str(cdr.disposition),
        str(cdr.status),
        str(cdr.reason),
        str(cdr.ended_by),
    ]


def db_row(cdr: Cdr) -> tuple[Any, ...]:
    """The values of `cdr` in `FIELDS` order, as `_COLUMNS` lists them for the `cdr` table
    (what `dataclasses.astuple` gave, without its per-value deep copy)."""
    return (
        cdr.call_id,
        cdr.caller,
        cdr.callee,
        cdr.source,
        cdr.start,
        cdr.answer,
        cdr.end,
        cdr.duration,
        cdr.billable_seconds,
        cdr.disposition,
        cdr.status,
        cdr.reason,
        cdr.ended_by,
    )


def csv_text(cdrs: Iterable[Cdr]) -> str:
    """A whole CSV document (header row first), for `sipwarden cdr export`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    writer.writerows(csv_row(cdr) for cdr in cdrs)
    return out.getvalue()


class CsvCdrWriter:
    """Appends CDRs to `directory/cdr-YYYY-MM-DD.csv`, one file per UTC day of the call's end.

    The file of the last record's day stays open (`close()` when done): creating the directory,
    checking the file and opening it for every record cost more than the row itself. It is
    reopened when a record belongs to another day, and when the file at its path is no longer
    the one held open (deleted or moved away, found with one `os.stat` per record, as
    `logging.handlers.WatchedFileHandler` does), so no record goes to an unlinked file and a
    moved file is not written again (docs/cdr.md: old files are never touched again). Each row
    is flushed at once, as closing the file after each record did: other processes (and the
    other workers, appending to the same file) see it immediately. A failed write closes the
    file, dropping what it could not write, so that a later record is never preceded by the
    rest of a failed one.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._day: date | None = None  # the day of `_target`
        self._target = ""
        self._file: TextIO | None = None
        self._writer: Any = None  # the csv writer on `_file`
        self._identity = (0, 0)  # (st_dev, st_ino) of `_file`

    def path(self, cdr: Cdr) -> Path:
        day = datetime.fromtimestamp(cdr.end, UTC).date()
        return self.directory / f"cdr-{day.isoformat()}.csv"

    def write(self, cdr: Cdr) -> None:
        day = datetime.fromtimestamp(cdr.end, UTC).date()
        if day != self._day:
            self.close()
            self._target = os.path.join(self.directory, f"cdr-{day.isoformat()}.csv")
            self._day = day
        elif self._file is not None and not self._still_there():
            self.close()
        file = self._file if self._file is not None else self._open()
        try:
            self._writer.writerow(csv_row(cdr))
            file.flush()
        except BaseException:
            self._discard()
            raise

    def close(self) -> None:
        """Close the open file, if any (a later `write` opens it again)."""
        file, self._file, self._writer = self._file, None, None
        if file is not None:
            file.close()

    def _still_there(self) -> bool:
        try:
            st = os.stat(self._target)
        except OSError:  # gone, or its directory too: reopening recreates or reports it
            return False
        return (st.st_dev, st.st_ino) == self._identity

    def _open(self) -> TextIO:
        self.directory.mkdir(parents=True, exist_ok=True)
        file = open(self._target, "a", encoding="utf-8", newline="")  # noqa: SIM115  # kept open
        try:
            st = os.fstat(file.fileno())
            writer = csv.writer(file, lineterminator="\r\n")
            if st.st_size == 0:
                writer.writerow(FIELDS)  # flushed with the first row, in the same write
        except BaseException:
            file.close()
            raise
        self._file, self._writer, self._identity = file, writer, (st.st_dev, st.st_ino)
        return file

    def _discard(self) -> None:
        with contextlib.suppress(OSError):  # the rest of the failed row could not be written
            self.close()


class SqliteCdrStore:
    """The `cdr` table on an open connection (storage/sqlite.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        migrate(conn, "cdr", MIGRATIONS)

    def add(self, cdr: Cdr) -> None:
        self.conn.execute(
            f"INSERT INTO cdr ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            db_row(cdr),
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
        if self._csv is not None:
            try:
                self._csv.close()
            except OSError as exc:  # rows are flushed as written: only a closing error is left
                self.errors += 1
                log.warning("cdr csv file not closed: %s", exc)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._store = None
