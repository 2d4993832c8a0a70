"""Write-behind CDRs through `sipwarden run` (docs/cdr.md, "When they are written"): records
wait in memory for `[cdr] flush_interval`, and a clean stop (SIGTERM) writes every one of them
to the database and the day's CSV file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.integration.proxy.calls import ALICE, BOB, passed
from tests.integration.proxy.sippctl import SIPP, Proxy, call_args, phone, register, run
from tests.integration.server.process import free_port, running, sipwarden

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]

CALLS = 3


def listed_call_ids(data: Path) -> set[str]:
    listed = sipwarden("cdr", "export", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr
    return {row["call_id"] for row in csv.DictReader(listed.stdout.splitlines())}


def test_a_clean_stop_writes_every_record_still_waiting(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for account in (ALICE, BOB):
        address = f"{account.user}@127.0.0.1"
        added = sipwarden(
            "users", "add", address, "--password", account.password, "--data-dir", str(data)
        )
        assert added.returncode == 0, added.stderr
    config = tmp_path / "sipwarden.toml"
    config.write_text("[cdr]\nflush_interval = 60\n")  # nothing is written before the stop
    port = free_port()
    args = ["--data-dir", str(data), "--config", str(config), "--listen", f"udp:127.0.0.1:{port}"]
    with running(args, cwd=tmp_path) as server:
        proxy = Proxy("127.0.0.1", port, "u1")
        bob_port = free_port()
        passed(register(tmp_path, proxy, BOB, bob_port, name="bob-register"))
        many = ("-m", str(CALLS))
        with phone(tmp_path, "bob", "call_uas.xml", proxy, bob_port, *many) as bob:
            extra = call_args(tmp_path, proxy, ALICE, BOB.user)
            caller = run(tmp_path, "alice", "call_uac.xml", proxy, free_port(), *extra, *many)
            passed(caller, bob.wait())
        assert listed_call_ids(data) == set()  # all finished, none written yet: they wait
        assert not list((data / "cdr").glob("*.csv"))
        assert server.stop() == 0
    written = listed_call_ids(data)
    assert len(written) == CALLS
    (day_file,) = (data / "cdr").glob("cdr-*.csv")
    with day_file.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["call_id"] for row in rows} == written
    assert {row["disposition"] for row in rows} == {"answered"}
