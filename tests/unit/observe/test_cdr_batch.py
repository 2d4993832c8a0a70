"""Write-behind CDRs (observe/cdr_writer.py): `CdrBuffer` flushes by size, by delay and on
close, on a fake loop (no sleeps); `CdrWriter.write_many` writes a batch with one CSV write per
day and one SQLite transaction, and isolates a failing sink."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sipwarden.observe.cdr import Cdr
from sipwarden.observe.cdr_writer import (
    FLUSH_INTERVAL,
    FLUSH_SIZE,
    CdrBuffer,
    CdrWriter,
    SqliteCdrStore,
    by_day,
    csv_line,
    csv_lines,
    day_of,
)
from sipwarden.storage.sqlite import connect, database_path
from tests.unit.observe.test_cdr_writer import DAY1, cdr, reference_file


class Handle:
    def __init__(self, loop: FakeLoop, at: float, callback: Callable[[], None]) -> None:
        self.loop, self.at, self.callback = loop, at, callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """`call_later` on a clock the test moves with `advance`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.handles: list[Handle] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> Handle:
        handle = Handle(self, self.now + delay, callback)
        self.handles.append(handle)
        return handle

    def armed(self) -> list[Handle]:
        return [h for h in self.handles if not h.cancelled]

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for handle in list(self.handles):
            if not handle.cancelled and handle.at <= self.now:
                self.handles.remove(handle)
                handle.callback()


class Sink:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.closed = False

    def write_many(self, cdrs: Sequence[Cdr]) -> None:
        self.batches.append([c.call_id for c in cdrs])

    def close(self) -> None:
        self.closed = True


def buffer(size: int = 3, interval: float = 1.0) -> tuple[CdrBuffer, Sink, FakeLoop]:
    sink, loop = Sink(), FakeLoop()
    return CdrBuffer(sink, loop.call_later, interval=interval, size=size), sink, loop


def test_defaults_bound_the_wait_and_the_batch() -> None:
    assert 0 < FLUSH_INTERVAL <= 5
    assert 1 < FLUSH_SIZE <= 1000


def test_a_full_buffer_is_written_at_once_and_its_timer_dropped() -> None:
    buf, sink, loop = buffer(size=3)
    buf.write(cdr("c1", DAY1))
    buf.write(cdr("c2", DAY1))
    assert sink.batches == [] and len(buf) == 2
    assert len(loop.armed()) == 1  # one timer for the batch, not one per record
    buf.write(cdr("c3", DAY1))
    assert sink.batches == [["c1", "c2", "c3"]] and len(buf) == 0
    assert loop.armed() == []
    loop.advance(10)
    assert sink.batches == [["c1", "c2", "c3"]]


def test_records_wait_at_most_the_interval_after_the_first() -> None:
    buf, sink, loop = buffer(size=100, interval=1.0)
    buf.write(cdr("c1", DAY1))
    loop.advance(0.5)
    buf.write(cdr("c2", DAY1))
    loop.advance(0.375)
    assert sink.batches == []
    loop.advance(0.125)  # 1 s after c1
    assert sink.batches == [["c1", "c2"]]
    buf.write(cdr("c3", DAY1))  # a new batch arms a new timer
    loop.advance(0.875)
    assert sink.batches == [["c1", "c2"]]
    loop.advance(0.125)
    assert sink.batches == [["c1", "c2"], ["c3"]]
    loop.advance(5)
    assert len(sink.batches) == 2 and loop.armed() == []  # nothing waiting, no empty write


def test_close_writes_what_is_kept_then_closes_and_later_records_go_at_once() -> None:
    buf, sink, loop = buffer(size=100)
    buf.write(cdr("c1", DAY1))
    buf.write(cdr("c2", DAY1))
    buf.close()
    assert sink.batches == [["c1", "c2"]] and sink.closed
    assert loop.armed() == []
    buf.write(cdr("c3", DAY1))
    assert sink.batches == [["c1", "c2"], ["c3"]]


def test_flush_with_nothing_kept_writes_nothing() -> None:
    buf, sink, _ = buffer()
    buf.flush()
    assert sink.batches == []


def test_by_day_groups_oldest_day_first_keeping_the_order_within_a_day() -> None:
    records = [cdr("a", DAY1 + 86400), cdr("b", DAY1), cdr("c", DAY1 + 86400 + 5), cdr("d", DAY1)]
    groups = by_day(records)
    assert [(day.isoformat(), [c.call_id for c in group]) for day, group in groups] == [
        ("2025-11-21", ["b", "d"]),
        ("2025-11-22", ["a", "c"]),
    ]
    assert all(day_of(c) == day for day, group in groups for c in group)


def test_a_batch_across_midnight_goes_to_two_files_each_with_its_header(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path)
    late = cdr("late", DAY1 + 86400 - 62 - 0.5)  # ends 23:59:59.5
    early = [cdr("n1", DAY1 + 86400 - 60), cdr("n2", DAY1 + 86400)]  # end after midnight
    try:
        writer.write_many([early[0], late, early[1]])
    finally:
        writer.close()
    first = tmp_path / "cdr" / "cdr-2025-11-21.csv"
    second = tmp_path / "cdr" / "cdr-2025-11-22.csv"
    assert first.read_bytes() == reference_file([late])
    assert second.read_bytes() == reference_file(early)
    assert (writer.errors, writer.written) == (0, 3)
    conn = connect(database_path(tmp_path))
    try:
        assert sorted(c.call_id for c in SqliteCdrStore(conn).list()) == ["late", "n1", "n2"]
    finally:
        conn.close()


def test_batches_append_to_the_day_file_and_a_moved_file_is_not_written_again(
    tmp_path: Path,
) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    path = tmp_path / "cdr" / "cdr-2025-11-21.csv"
    moved = tmp_path / "moved.csv"
    batches = [[cdr(f"b{b}r{r}", DAY1 + b * 10 + r) for r in range(3)] for b in range(3)]
    try:
        writer.write_many(batches[0])
        writer.write_many(batches[1])
        assert path.read_bytes() == reference_file(batches[0] + batches[1])  # on disk now
        path.rename(moved)
        writer.write_many(batches[2])
    finally:
        writer.close()
    assert moved.read_bytes() == reference_file(batches[0] + batches[1])
    assert path.read_bytes() == reference_file(batches[2])


def test_the_stat_check_runs_once_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    try:
        writer.write(cdr("c0", DAY1))  # opens the file
        calls: list[object] = []
        real_stat = os.stat

        def counting_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
            calls.append(path)
            return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "stat", counting_stat)
        writer.write_many([cdr(f"c{n}", DAY1 + n) for n in range(1, 51)])
        assert len(calls) == 1
    finally:
        writer.close()


def test_a_batch_is_one_transaction(tmp_path: Path) -> None:
    conn = connect(database_path(tmp_path))
    try:
        store = SqliteCdrStore(conn)
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        store.add_many([cdr(f"c{n}", DAY1 + n) for n in range(5)])
        conn.set_trace_callback(None)
        assert [s for s in statements if not s.startswith("INSERT")] == [
            "BEGIN IMMEDIATE",
            "COMMIT",
        ]
        assert len(store.list()) == 5
        assert not conn.in_transaction
    finally:
        conn.close()


def test_a_failed_batch_is_rolled_back_counted_and_the_next_one_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = CdrWriter(tmp_path, use_csv=False)
    bad = dataclasses.replace(cdr("c2", DAY1 + 2), call_id=None)  # type: ignore[arg-type]
    try:
        writer.write_many([cdr("c1", DAY1 + 1), bad, cdr("c3", DAY1 + 3)])  # NOT NULL fails
        assert (writer.errors, writer.written) == (3, 3)
        writer.write_many([cdr("c4", DAY1 + 4)])
    finally:
        writer.close()
    assert "cdr not written to database call_id=c1 and 2 more" in caplog.text
    conn = sqlite3.connect(tmp_path / "sipwarden.db")
    try:
        assert conn.execute("SELECT call_id FROM cdr").fetchall() == [("c4",)]  # none of c1-c3
    finally:
        conn.close()


def test_a_failing_csv_sink_does_not_stop_the_database_nor_raise(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "cdr").write_text("not a directory", encoding="utf-8")
    writer = CdrWriter(tmp_path)
    sink_loop = FakeLoop()
    buf = CdrBuffer(writer, sink_loop.call_later, size=2)
    buf.write(cdr("c1", DAY1))
    buf.write(cdr("c2", DAY1 + 86400))  # full: written now, one failing write per day file
    buf.close()
    assert (writer.errors, writer.written) == (2, 2)
    assert "cdr not written to csv call_id=c1" in caplog.text
    assert "cdr not written to csv call_id=c2" in caplog.text
    conn = sqlite3.connect(tmp_path / "sipwarden.db")
    try:
        assert conn.execute("SELECT call_id FROM cdr ORDER BY id").fetchall() == [
            ("c1",),
            ("c2",),
        ]
    finally:
        conn.close()


def test_a_batch_larger_than_the_io_buffers_is_written_whole(tmp_path: Path) -> None:
    writer = CdrWriter(tmp_path, use_database=False)
    records = [cdr(f"c{n}", DAY1 + n) for n in range(200)]  # about 30 KB, the buffers are 8 KiB
    try:
        writer.write_many(records)
        path = tmp_path / "cdr" / "cdr-2025-11-21.csv"
        assert path.read_bytes() == reference_file(records)  # flushed, before close
    finally:
        writer.close()
    with path.open(encoding="utf-8", newline="") as file:
        assert len(list(csv.reader(file))) == 201


def csv_writer_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


@given(st.lists(st.text(alphabet=st.sampled_from('ab ,"\r\n\t;:@é\x00'), max_size=6), max_size=14))
@example([])
@example([""])
@example(["", ""])
@example(["a,b"])
@example(['say "hi"'])
def test_csv_line_is_what_csv_writer_writes(cells: list[str]) -> None:
    assert csv_line(cells) == csv_writer_line(cells)


@given(st.lists(st.text(max_size=20), min_size=13, max_size=13))
def test_csv_line_matches_csv_writer_on_any_text(cells: list[str]) -> None:
    assert csv_line(cells) == csv_writer_line(cells)


def test_csv_lines_of_samples_are_the_reference_bytes() -> None:
    from tests.unit.observe.test_cdr_writer import SAMPLES  # quoting and a CRLF in a reason

    assert csv_lines(SAMPLES, header=True).encode() == reference_file(SAMPLES)
