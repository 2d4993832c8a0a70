"""CDR sinks (observe/cdr_writer.py): daily CSV files, the SQLite table, failures counted."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
import sqlite3
from pathlib import Path

import pytest

from sipwarden.observe.cdr import Cdr
from sipwarden.observe.cdr_writer import (
    FIELDS,
    CdrWriter,
    SqliteCdrStore,
    csv_row,
    csv_text,
    db_row,
    iso,
)
from sipwarden.storage.sqlite import connect, database_path

DAY1 = 1_763_683_200.0  # 2025-11-21T00:00:00Z


def cdr(call_id: str, start: float, answered: bool = True) -> Cdr:
    return Cdr(
        call_id=call_id,
        caller="sip:alice@example.com",
        callee="sip:bob@example.com",
        source="udp:192.0.2.7:5062",
        start=start,
        answer=start + 2 if answered else None,
        end=start + 62,
        duration=62.0,
        billable_seconds=60 if answered else 0,
        disposition="answered" if answered else "busy",
        status=200 if answered else 486,
        reason="OK" if answered else "Busy Here",
        ended_by="caller" if answered else "",
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_csv_row_formats_times_in_utc() -> None:
    row = dict(zip(FIELDS, csv_row(cdr("c1", DAY1 + 0.25, answered=False))))
    assert row["start"] == "2025-11-21T00:00:00.250Z"
    assert row["answer"] == ""
    assert row["end"] == "2025-11-21T00:01:02.250Z"
    assert (row["duration"], row["disposition"], row["status"]) == ("62.000", "busy", "486")


def test_csv_files_rotate_by_the_day_the_call_ended(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    try:
        writer.write(cdr("c1", DAY1 + 10))
        writer.write(cdr("c2", DAY1 + 86400 - 30))  # ends after midnight
        writer.write(cdr("c3", DAY1 + 86400 + 5))
    finally:
        writer.close()
    first = tmp_path / "cdr" / "cdr-2025-11-21.csv"
    second = tmp_path / "cdr" / "cdr-2025-11-22.csv"
    assert [r["call_id"] for r in read_csv(first)] == ["c1"]
    assert [r["call_id"] for r in read_csv(second)] == ["c2", "c3"]
    assert second.read_text(encoding="utf-8").count("call_id,caller") == 1  # one header
    assert not (tmp_path / "sipwarden.db").exists()


def test_sqlite_store_round_trip_and_queries(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_csv=False)
    try:
        for number in range(5):
            writer.write(cdr(f"c{number}", DAY1 + number * 100, answered=number % 2 == 0))
    finally:
        writer.close()
    assert not (tmp_path / "cdr").exists()
    conn = connect(database_path(tmp_path))
    try:
        store = SqliteCdrStore(conn)  # migrating again changes nothing
        assert [c.call_id for c in store.list()] == ["c4", "c3", "c2", "c1", "c0"]
        assert [c.call_id for c in store.list(limit=2)] == ["c4", "c3"]
        assert [c.call_id for c in store.list(since=DAY1 + 100, until=DAY1 + 300)] == ["c2", "c1"]
        assert [c.call_id for c in store.list(newest_first=False, limit=2)] == ["c0", "c1"]
        assert store.list(since=DAY1 + 400)[0] == cdr("c4", DAY1 + 400)
        assert store.list()[1] == cdr("c3", DAY1 + 300, answered=False)
    finally:
        conn.close()


def test_csv_text_has_the_header_and_crlf_rows() -> None:
    text = csv_text([cdr("c1", DAY1)])
    lines = text.split("\r\n")
    assert lines[0] == ",".join(FIELDS)
    assert lines[1].startswith("c1,sip:alice@example.com,")
    assert lines[2] == ""


def test_a_failing_sink_is_counted_and_the_other_still_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "cdr").write_text("not a directory", encoding="utf-8")
    writer = CdrWriter(tmp_path)
    try:
        writer.write(cdr("c1", DAY1))
    finally:
        writer.close()
    assert (writer.errors, writer.written) == (1, 1)
    assert "cdr not written to csv call_id=c1" in caplog.text
    conn = sqlite3.connect(tmp_path / "sipwarden.db")
    try:
        assert conn.execute("SELECT call_id FROM cdr").fetchall() == [("c1",)]
    finally:
        conn.close()


def test_close_twice_is_harmless(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path)
    writer.close()
    writer.close()


def reference_csv_row(record: Cdr) -> list[str]:
    """csv_row as it was written with `dataclasses.asdict`, before the hot-path rewrite."""
    values = dataclasses.asdict(record)
    for name in ("start", "answer", "end"):
        values[name] = iso(values[name])
    values["duration"] = f"{record.duration:.3f}"
    return [str(values[name]) for name in FIELDS]


def reference_file(records: list[Cdr]) -> bytes:
    """The bytes one CSV file held when each record was appended by opening the file anew."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    writer.writerows(reference_csv_row(record) for record in records)
    return out.getvalue().encode("utf-8")


SAMPLES = [
    cdr("c1", DAY1 + 0.25, answered=False),
    cdr("c2", DAY1 + 1234.5678),
    dataclasses.replace(cdr('c,3 "quoted"', DAY1), reason="Düsseldorf\r\nBusy", ended_by=""),
]


@pytest.mark.parametrize("record", SAMPLES, ids=["unanswered", "answered", "quoting"])
def test_rows_are_what_asdict_and_astuple_gave(record: Cdr) -> None:
    assert csv_row(record) == reference_csv_row(record)
    assert db_row(record) == dataclasses.astuple(record)


def test_the_file_holds_the_same_bytes_and_each_row_is_on_disk_at_once(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    path = tmp_path / "cdr" / "cdr-2025-11-21.csv"
    try:
        for number, record in enumerate(SAMPLES, 1):
            writer.write(record)
            assert path.read_bytes() == reference_file(SAMPLES[:number])  # flushed, not held
    finally:
        writer.close()
    assert path.read_bytes() == reference_file(SAMPLES)


def test_a_deleted_or_moved_file_of_the_day_is_started_again(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    path = tmp_path / "cdr" / "cdr-2025-11-21.csv"
    moved = tmp_path / "moved.csv"
    try:
        writer.write(cdr("c1", DAY1))
        path.rename(moved)
        writer.write(cdr("c2", DAY1 + 1))
        path.unlink()
        writer.write(cdr("c3", DAY1 + 2))
    finally:
        writer.close()
    assert [r["call_id"] for r in read_csv(moved)] == ["c1"]  # never written again
    assert path.read_bytes() == reference_file([cdr("c3", DAY1 + 2)])
    assert writer.errors == 0


def test_a_removed_directory_is_an_error_then_recreated(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    directory = tmp_path / "cdr"
    try:
        writer.write(cdr("c1", DAY1))
        shutil.rmtree(directory)
        directory.write_text("not a directory", encoding="utf-8")
        writer.write(cdr("c2", DAY1 + 1))
        assert (writer.errors, writer.written) == (1, 2)
        directory.unlink()
        writer.write(cdr("c3", DAY1 + 2))
    finally:
        writer.close()
    assert [r["call_id"] for r in read_csv(directory / "cdr-2025-11-21.csv")] == ["c3"]
    assert writer.errors == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a full disk)")
def test_a_row_that_cannot_be_flushed_does_not_block_the_next_file(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    path = tmp_path / "cdr" / "cdr-2025-11-21.csv"
    path.parent.mkdir()
    path.symlink_to("/dev/full")  # every flush fails with ENOSPC
    try:
        writer.write(cdr("c1", DAY1))
        writer.write(cdr("c2", DAY1 + 1))
        assert (writer.errors, writer.written) == (2, 2)
        path.unlink()  # room again: the failed rows are not retried, the next one is written
        writer.write(cdr("c3", DAY1 + 2))
    finally:
        writer.close()
    assert path.read_bytes() == reference_file([cdr("c3", DAY1 + 2)])
    assert writer.errors == 2
