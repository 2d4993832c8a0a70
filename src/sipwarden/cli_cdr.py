"""`sipwarden cdr list|export`: read the call detail records in the data directory's database.

The data directory is `--data-dir`, else `[server] data_dir` of `--config`, else the default.
`--since`/`--until` take a date (`2026-11-21`), a date and time (`2026-11-21T08:30`, UTC unless
it names a zone) or an age (`30m`, `12h`, `7d`: that long ago). `list` prints the newest first,
one line each; `export` writes CSV (oldest first, the columns of the CSV files, docs/cdr.md) to
stdout or `--output FILE`. Errors print one line `sipwarden: cdr VERB: what is wrong`, exit 1.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sipwarden.config import Overrides, load_config
from sipwarden.errors import LocalError
from sipwarden.observe.cdr import Cdr
from sipwarden.observe.cdr_writer import SqliteCdrStore, csv_text, iso
from sipwarden.storage.sqlite import DB_NAME, connect

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"(\d+)([smhd])")


class CdrCliError(LocalError):
    """A bad option or a missing database."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `cdr` and its verbs on the top-level subparsers."""
    cdr = subparsers.add_parser("cdr", help="call detail records (list, export as CSV)")
    verbs = cdr.add_subparsers(dest="cdr_command", metavar="VERB", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", help="data directory")
    common.add_argument("--config", metavar="FILE", help="configuration file (for data_dir)")
    common.add_argument("--since", metavar="WHEN", help="calls started at or after WHEN")
    common.add_argument("--until", metavar="WHEN", help="calls started before WHEN")
    listing = verbs.add_parser("list", parents=[common], help="print records, newest first")
    listing.add_argument("--limit", metavar="N", type=_limit, default=50, help="default 50")
    export = verbs.add_parser("export", parents=[common], help="write records as CSV")
    export.add_argument("--output", metavar="FILE", help="file to write (default: stdout)")


def _limit(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def parse_when(text: str, now: float) -> float:
    """WHEN (see the module comment) as epoch seconds; CdrCliError when unreadable."""
    age = _AGE.fullmatch(text.strip())
    if age is not None:
        return now - int(age.group(1)) * UNITS[age.group(2)]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CdrCliError(
            f"expected a date, a date and time (ISO 8601) or an age like 12h, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def run(args: argparse.Namespace) -> int:
    """Run the `cdr` verb in `args`; 0 on success, 1 with a one-line error on stderr."""
    try:
        data_dir = load_config(args.config, Overrides(data_dir=args.data_dir)).server.data_dir
        now = time.time()
        since = None if args.since is None else parse_when(args.since, now)
        until = None if args.until is None else parse_when(args.until, now)
        listing = args.cdr_command == "list"
        limit = args.limit if listing else None
        records = _read(Path(data_dir), since, until, limit, newest_first=listing)
        if listing:
            _print(records)
        else:
            _export(records, args.output)
    except (LocalError, OSError, sqlite3.Error) as exc:
        print(f"sipwarden: cdr {args.cdr_command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _read(
    data_dir: Path,
    since: float | None,
    until: float | None,
    limit: int | None,
    newest_first: bool,
) -> list[Cdr]:
    path = data_dir / DB_NAME
    if not path.exists():
        raise CdrCliError(f"no database in {data_dir} (no call recorded yet?)")
    conn = connect(path)
    try:
        store = SqliteCdrStore(conn)
        return store.list(since, until, limit, newest_first=newest_first)
    finally:
        conn.close()


def describe(cdr: Cdr) -> str:
    """One line for `cdr list`."""
    ended = f"  ended_by={cdr.ended_by}" if cdr.ended_by else ""
    return (
        f"{iso(cdr.start)}  {cdr.disposition:<9}  {cdr.status} {cdr.reason}  "
        f"{cdr.caller} -> {cdr.callee}  duration={cdr.duration:.1f}s"
        f"  billable={cdr.billable_seconds}s{ended}  source={cdr.source}  call_id={cdr.call_id}"
    )


def _print(records: list[Cdr]) -> None:
    for cdr in records:
        print(describe(cdr))


def _export(records: list[Cdr], output: str | None) -> None:
    text = csv_text(records)
    if output is None:
        sys.stdout.write(text)
        return
    with open(output, "w", encoding="utf-8", newline="") as file:
        file.write(text)
