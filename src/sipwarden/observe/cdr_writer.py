"""Where CDRs go: a CSV file per UTC day in DATA_DIR/cdr/ and the `cdr` table of the database.

How this works: `CdrWriter.write_many(cdrs)` appends rows to `cdr/cdr-YYYY-MM-DD.csv` (the day
each call ended, UTC; a new file starts with the header row, so files rotate daily by name) and
inserts them into SQLite (`SqliteCdrStore`, migrated with storage/sqlite.py) in one transaction.
A failing sink is logged and counted, never raised: losing a record must not break the call
path.

Write-behind: the server does not write each record as its call ends. `CdrBuffer` collects
finished records and hands them to `write_many` together, when `FLUSH_SIZE` are waiting, at
the latest `FLUSH_INTERVAL` seconds after the first of them (a timer of the running loop), and
always on `close()` (a clean stop). Written one by one, each record cost an `os.stat` (is the
file still there), a write syscall and an autocommitted INSERT (a WAL commit): about 65 us of
CPU per call message in benchmarks/hotpath.py, +40-70% of the whole proxy's CPU per call. In a
batch the stat, the write and the commit happen once per batch (per day file, for the CSV).
The price is a window: records not yet flushed are lost on kill -9 or a power cut (docs/cdr.md).

Rows are built from the fields by name: `dataclasses.asdict`/`astuple` deep-copied every value
and cost about 6% of a whole proxied call (cProfile of benchmarks/hotpath.py). The CSV file of
the current day stays open between batches instead of being created, checked and opened again
for each one; see `CsvCdrWriter`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import io
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from sipwarden.observe.cdr import Cdr
from sipwarden.storage.sqlite import connect, database_path, migrate

log = logging.getLogger(__name__)
FIELDS = tuple(field.name for field in dataclasses.fields(Cdr))
CSV_DIR = "cdr"
FLUSH_INTERVAL = 1.0  # seconds a finished record waits at most before it is written
FLUSH_SIZE = 100  # records written at once, without waiting for the interval
DAY = 86400.0  # seconds in a UTC day (POSIX time has no leap seconds)
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


def day_of(cdr: Cdr) -> date:
    """The UTC day `cdr` ended: the day of its CSV file."""
    return datetime.fromtimestamp(cdr.end, UTC).date()


def by_day(cdrs: Iterable[Cdr]) -> list[tuple[date, list[Cdr]]]:
    """`cdrs` grouped by `day_of`, oldest day first, each group in the order given."""
    days: dict[date, list[Cdr]] = {}
    for cdr in cdrs:
        day = day_of(cdr)
        group = days.get(day)
        if group is None:
            days[day] = [cdr]
        else:
            group.append(cdr)
    return sorted(days.items())


def csv_text(cdrs: Iterable[Cdr]) -> str:
    """A whole CSV document (header row first), for `sipwarden cdr export`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    writer.writerows(csv_row(cdr) for cdr in cdrs)
    return out.getvalue()


def csv_lines(cdrs: Iterable[Cdr], header: bool = False) -> str:
    """The CSV rows of `cdrs` (after the header row if `header`), as appended to a file."""
    lines = [csv_line(FIELDS)] if header else []
    lines.extend(csv_line(csv_row(cdr)) for cdr in cdrs)
    return "".join(lines)


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line, CRLF-terminated, exactly as `csv.writer` (minimal quoting) writes it.

    Fast path: a cell needs quoting only when it holds a comma, a double quote, CR or LF
    (RFC 4180 §2), which CDR cells (URIs, addresses, times, numbers) almost never do, so the
    cells are joined and the line checked with str searches; only a line with one of those
    characters goes through `csv.writer`. The per-character quoting scan of `csv.writer` cost
    about 40k instructions per record (callgrind, benchmarks/hotpath.py call --cdr);
    tests/unit/observe/test_cdr_batch.py compares both with hypothesis."""
    line = ",".join(cells)
    if (
        line.count(",") == len(cells) - 1
        and '"' not in line
        and "\r" not in line
        and "\n" not in line
        and (len(cells) != 1 or line)  # csv.writer quotes a row of one empty cell: ""
    ):
        return line + "\r\n"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


class CsvCdrWriter:
    """Appends CDRs to `directory/cdr-YYYY-MM-DD.csv`, one file per UTC day of the call's end.

    `write_day(day, cdrs)` takes the records of one day (`by_day` groups a batch): they are
    formatted into one string, and written and flushed at once, in one write syscall, so other
    processes (and the other workers, appending to the same file) see whole rows, never a part
    of one. The file of the last day written stays open (`close()` when done): creating the
    directory, checking the file and opening it for every record cost more than the row
    itself. It is reopened for another day, and when the file at its path is no longer the one
    held open (deleted or moved away, found with one `os.stat` per write, as
    `logging.handlers.WatchedFileHandler` does), so no record goes to an unlinked file and a
    moved file is not written again (docs/cdr.md: old files are never touched again). A failed
    write closes the file, dropping what it could not write, so that later records are never
    preceded by the rest of a failed write.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._day: date | None = None  # the day of `_target`
        self._target = ""
        self._file: TextIO | None = None
        self._empty = False  # `_file` was empty when opened and nothing went in yet: a header
        self._identity = (0, 0)  # (st_dev, st_ino) of `_file`

    def path(self, cdr: Cdr) -> Path:
        return self.directory / f"cdr-{day_of(cdr).isoformat()}.csv"

    def write(self, cdr: Cdr) -> None:
        """Append one record."""
        self.write_day(day_of(cdr), (cdr,))

    def write_day(self, day: date, cdrs: Sequence[Cdr]) -> None:
        """Append `cdrs`, all of which ended on `day` (UTC), with one write."""
        if day != self._day:
            self.close()
            self._target = os.path.join(self.directory, f"cdr-{day.isoformat()}.csv")
            self._day = day
        elif self._file is not None and not self._still_there():
            self.close()
        file = self._file if self._file is not None else self._open()
        text = csv_lines(cdrs, header=self._empty)
        try:
            file.write(text)
            file.flush()
        except BaseException:
            self._discard()
            raise
        self._empty = False

    def close(self) -> None:
        """Close the open file, if any (a later write opens it again)."""
        file, self._file = self._file, None
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
        except BaseException:
            file.close()
            raise
        self._file, self._empty, self._identity = file, st.st_size == 0, (st.st_dev, st.st_ino)
        return file

    def _discard(self) -> None:
        with contextlib.suppress(OSError):  # the rest of the failed write could not be written
            self.close()


class SqliteCdrStore:
    """The `cdr` table on an open connection (storage/sqlite.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        migrate(conn, "cdr", MIGRATIONS)

    def add(self, cdr: Cdr) -> None:
        self.add_many((cdr,))

    def add_many(self, cdrs: Sequence[Cdr]) -> None:
        """Insert `cdrs` in one transaction: all of them or, on an error, none.

        The connection is in autocommit mode (storage/sqlite.py), where each INSERT would be a
        transaction and a WAL commit of its own; BEGIN IMMEDIATE takes the write lock at once,
        waiting for another worker's transaction within the busy timeout."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                f"INSERT INTO cdr ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [db_row(cdr) for cdr in cdrs],
            )
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

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
    """Writes CDRs to the sinks the `[cdr]` section turns on; `close()` when done."""

    def __init__(
        self, data_dir: str | Path, use_csv: bool = True, use_database: bool = True
    ) -> None:
        self.errors = 0  # records not written, counted once per sink that failed them
        self.written = 0  # records handed to the sinks
        self._csv = CsvCdrWriter(Path(data_dir) / CSV_DIR) if use_csv else None
        self._conn = connect(database_path(data_dir)) if use_database else None
        try:
            self._store = SqliteCdrStore(self._conn) if self._conn is not None else None
        except BaseException:
            self.close()
            raise

    def write(self, cdr: Cdr) -> None:
        """Record `cdr` everywhere configured; a failing sink is logged and counted."""
        self.write_many((cdr,))

    def write_many(self, cdrs: Sequence[Cdr]) -> None:
        """Record `cdrs` everywhere configured: one CSV write per day, one transaction.

        A failing sink is logged and counted (every record it did not write); the others are
        still written, and so are the other days' files."""
        if not cdrs:
            return
        csv_writer, store = self._csv, self._store
        if csv_writer is not None:
            for day, group in by_day(cdrs):
                self._guarded("csv", functools.partial(csv_writer.write_day, day, group), group)
        if store is not None:
            self._guarded("database", functools.partial(store.add_many, cdrs), cdrs)
        self.written += len(cdrs)

    def _guarded(self, name: str, sink: Callable[[], None], cdrs: Sequence[Cdr]) -> None:
        try:
            sink()
        except (OSError, sqlite3.Error, csv.Error) as exc:
            self.errors += len(cdrs)
            more = f" and {len(cdrs) - 1} more" if len(cdrs) > 1 else ""
            log.warning("cdr not written to %s call_id=%s%s: %s", name, cdrs[0].call_id, more, exc)

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


class CdrSink(Protocol):
    """Where `CdrBuffer` writes its batches (a `CdrWriter`)."""

    def write_many(self, cdrs: Sequence[Cdr]) -> None: ...

    def close(self) -> None: ...


class Cancellable(Protocol):
    """What a scheduled call returns (`asyncio.TimerHandle`)."""

    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Cancellable]


class CdrBuffer:
    """Write-behind in front of a `CdrWriter` (see the module docstring).

    `write(cdr)` only keeps the record. The records kept go to `writer.write_many` together:
    at once when `size` are waiting, else from a call `schedule(interval, self.flush)` arms
    when the first of them arrives (the server passes `loop.call_later`, tests a fake loop),
    and on `flush()` or `close()`. So a record reaches the sinks at most `interval` seconds
    after its call ended, unless the process is killed first. After `close()` each record is
    written at once (a late one is not left behind).
    """

    def __init__(
        self,
        writer: CdrSink,
        schedule: Schedule,
        interval: float = FLUSH_INTERVAL,
        size: int = FLUSH_SIZE,
    ) -> None:
        self.writer = writer
        self.interval = interval
        self.size = size
        self._schedule = schedule
        self._pending: list[Cdr] = []
        self._timer: Cancellable | None = None
        self._closed = False

    def __len__(self) -> int:
        """Records waiting to be written."""
        return len(self._pending)

    def write(self, cdr: Cdr) -> None:
        pending = self._pending
        pending.append(cdr)
        if len(pending) >= self.size or self._closed:
            self.flush()
        elif self._timer is None:
            self._timer = self._schedule(self.interval, self.flush)

    def flush(self) -> None:
        """Write every record kept now (and forget the timer armed for them)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()  # harmless when it is the timer calling
        batch, self._pending = self._pending, []
        if batch:
            self.writer.write_many(batch)

    def close(self) -> None:
        """Write what is kept, then close the sinks: a clean stop loses no record."""
        self._closed = True
        self.flush()
        self.writer.close()
