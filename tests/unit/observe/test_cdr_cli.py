"""`sipwarden cdr list|export` through cli.main."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sipwarden import cli
from sipwarden.cli_cdr import CdrCliError, parse_when
from sipwarden.observe.cdr import CallTracker
from sipwarden.observe.cdr_writer import CdrWriter

DAY1 = 1_763_683_200.0  # 2025-11-21T00:00:00Z


@pytest.fixture
def data(tmp_path: Path) -> str:
    """A data directory holding three calls: answered, busy, cancelled."""
    tracker = CallTracker()
    writer = CdrWriter(tmp_path / "data", use_csv=False)
    try:
        for number, callee in enumerate(("bob", "carol", "dave")):
            start = DAY1 + number * 3600
            tracker.invite(
                f"c{number}",
                "sip:alice@example.com",
                f"sip:{callee}@example.com",
                "udp:192.0.2.7:5062",
                start,
                from_tag="t",
            )
        tracker.answered("c0", DAY1 + 3)
        records = [
            tracker.bye("c0", tracker.side("c0", "t"), DAY1 + 33),
            tracker.failed("c1", 486, "Busy Here", DAY1 + 3600 + 4),
            tracker.failed("c2", 487, "Request Terminated", DAY1 + 7200 + 9),
        ]
        for record in records:
            assert record is not None
            writer.write(record)
    finally:
        writer.close()
    return str(tmp_path / "data")


def cdr(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["cdr", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_prints_newest_first(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cdr(capsys, "list", "--data-dir", data)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[1] for line in lines] == ["cancelled", "busy", "answered"]
    assert lines[2] == (
        "2025-11-21T00:00:00.000Z  answered   200 OK  sip:alice@example.com -> "
        "sip:bob@example.com  duration=33.0s  billable=30s  ended_by=caller"
        "  source=udp:192.0.2.7:5062  call_id=c0"
    )


def test_list_since_and_limit(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cdr(capsys, "list", "--data-dir", data, "--since", "2025-11-21T01:00")
    assert code == 0
    assert [line.rsplit("=", 1)[1] for line in out.splitlines()] == ["c2", "c1"]
    code, out, _ = cdr(capsys, "list", "--data-dir", data, "--limit", "1")
    assert [line.rsplit("=", 1)[1] for line in out.splitlines()] == ["c2"]


def test_export_writes_csv_oldest_first(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cdr(capsys, "export", "--data-dir", data, "--until", "2025-11-21T02:00Z")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["call_id"], r["disposition"]) for r in rows] == [("c0", "answered"), ("c1", "busy")]
    target = tmp_path / "out.csv"
    code, out, _ = cdr(capsys, "export", "--data-dir", data, "--output", str(target))
    assert (code, out) == (0, "")
    assert len(list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))) == 3


def test_missing_database_and_bad_when(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cdr(capsys, "list", "--data-dir", str(tmp_path / "empty"))
    assert code == 1
    assert err.startswith("sipwarden: cdr list: no database in ")
    code, _, err = cdr(capsys, "list", "--data-dir", str(tmp_path), "--since", "yesterday")
    assert code == 1
    assert "expected a date, a date and time (ISO 8601) or an age like 12h" in err


def test_bad_limit_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["cdr", "list", "--limit", "0"])
    assert "expected a whole number >= 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", 10_000.0 - 1800),
        ("2h", 10_000.0 - 7200),
        ("1d", 10_000.0 - 86400),
        ("1970-01-01", 0.0),
        ("1970-01-01T01:00", 3600.0),
        ("1970-01-01T02:00+01:00", 3600.0),
    ],
)
def test_parse_when(text: str, expected: float) -> None:
    assert parse_when(text, 10_000.0) == expected


def test_parse_when_refuses_junk() -> None:
    with pytest.raises(CdrCliError):
        parse_when("12 hours", 0.0)
