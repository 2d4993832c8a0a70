"""`_start_cdr` (server/app.py) on a real event loop: `[cdr] flush_interval` seconds after a
call ended its record is in the database, without a stop; 0 writes it at once."""

from __future__ import annotations

import asyncio
import sqlite3
import types
from pathlib import Path

import pytest

from sipwarden.config import Overrides, load_config
from sipwarden.server.app import _start_cdr
from tests.integration.conftest import run
from tests.unit.observe.test_cdr_writer import DAY1, cdr

pytestmark = pytest.mark.timeout(30)


def stored(data: Path) -> list[str]:
    conn = sqlite3.connect(data / "sipwarden.db")
    try:
        return [row[0] for row in conn.execute("SELECT call_id FROM cdr ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.parametrize("interval", [0.0, 0.25])
def test_the_loop_timer_writes_a_record_within_the_flush_interval(
    tmp_path: Path, interval: float
) -> None:
    path = tmp_path / "sipwarden.toml"
    path.write_text(f"[cdr]\nflush_interval = {interval}\n")
    config = load_config(path, Overrides(data_dir=str(tmp_path)))

    async def scenario() -> tuple[list[str], list[str]]:
        dispatcher = types.SimpleNamespace(cdr=None)
        buffer = _start_cdr(config, dispatcher)  # type: ignore[arg-type]
        assert buffer is not None and dispatcher.cdr is not None
        try:
            dispatcher.cdr.write(cdr("c1", DAY1))  # as the recorder does when a call ends
            at_once = stored(tmp_path)
            await asyncio.sleep(interval + 0.5)  # the loop runs the flush timer meanwhile
            return at_once, stored(tmp_path)
        finally:
            buffer.close()

    at_once, later = run(scenario())
    assert at_once == ([] if interval else ["c1"])
    assert later == ["c1"]
