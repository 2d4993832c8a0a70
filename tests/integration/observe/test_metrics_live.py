"""`/metrics` of a running `sipwarden run` under SIPp traffic (issue #8): every family is there
and the counters move; each transaction ends with one logfmt outcome line keyed by Call-ID,
with no secret in it."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from tests.integration.server.process import Running, free_port, running, sipwarden
from tests.integration.server.test_register_sipp import SIPP, sipp

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]
ADMIN = re.compile(r"admin API and dashboard on (http://\S+)")
PASSWORD = "alice-pass-5"
FAMILIES = (
    "sipwarden_requests_total",
    "sipwarden_responses_total",
    "sipwarden_auth_failures_total",
    "sipwarden_drops_total",
    "sipwarden_bans_total",
    "sipwarden_bans_active",
    "sipwarden_transactions_in_progress",
    "sipwarden_dialogs_in_progress",
    "sipwarden_registrations",
    "sipwarden_processing_seconds",
    "sipwarden_event_loop_lag_seconds",
)


def scrape(server: Running) -> str:
    url = next(m.group(1) for line in server.log if (m := ADMIN.search(line)))
    with urllib.request.urlopen(url + "/metrics", timeout=5) as reply:
        return reply.read().decode()


def value(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_move_under_sipp_load_and_outcomes_are_logged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = sipwarden(
        "users", "add", "alice@127.0.0.1", "--password", PASSWORD, "--data-dir", str(data)
    )
    assert added.returncode == 0, added.stderr
    config = tmp_path / "sipwarden.toml"
    config.write_text('[log]\nformat = "logfmt"\n')
    port = free_port()
    args = ["--data-dir", str(data), "--config", str(config), "--listen", f"udp:127.0.0.1:{port}"]
    with running(args, cwd=tmp_path) as server:
        before = scrape(server)
        for family in FAMILIES:
            assert f"# TYPE {family.removesuffix('_total')}" in before, family
        for _ in range(3):
            result = sipp(tmp_path, "register_ok.xml", port, "u1", "alice", PASSWORD, free_port())
            assert result.returncode == 0
        after = scrape(server)
        series = 'sipwarden_requests_total{method="REGISTER",transport="udp"}'
        assert value(after, series) - value(before, series) == 6  # 3 x (challenged + signed)
        ok = 'sipwarden_responses_total{method="REGISTER",status_class="2xx",transport="udp"}'
        assert value(after, ok) - value(before, ok) == 3
        assert value(after, "sipwarden_processing_seconds_count") > value(
            before, "sipwarden_processing_seconds_count"
        )
    outcomes = [line for line in server.log if "logger=sipwarden.outcome" in line]
    assert len(outcomes) >= 6
    assert all(
        re.search(r" call_id=\S+ method=REGISTER status=(401|200) ", line) for line in outcomes
    )
    assert not any(PASSWORD in line or "response=" in line for line in server.log)
