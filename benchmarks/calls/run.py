#!/usr/bin/env python3
"""Calls per second through `sipwarden run` next to Kamailio, SIPp as caller and callee.

Built on ../shared/bench (run-baseline.sh, scenario `call-lookup`): the SIPp UAS first
registers as `service` (digest, contact 127.0.0.1:15090), then the SIPp UAC places calls
INVITE-100-180-200-ACK-BYE-200 to sip:service@127.0.0.1:15060, so the proxy must look the
callee up in its location service and record-route. For each offered rate, Kamailio
(`kamailio:registrar`: lookup + t_relay + record_route, INVITEs not authenticated) and then
sipwarden (`sipwarden run` on a fresh data directory holding user0000.. and service, with
`[auth] authenticate_calls = false` to match) run one after the other in the same invocation;
the harness's summary for each is printed, then one line per run: offered rate, PASS/FAIL,
achieved rate and the proxy's CPU per received message.

Usage: python benchmarks/calls/run.py [--rates 500,1000] [--seconds 15]
       [--proxies kamailio,sipwarden] [--users 1000]
Needs: sipp and kamailio (`apt-get install -y sip-tester kamailio`). Ports 127.0.0.1:15060-15099.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from sipwarden.users.store import SqliteUserStore

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT.parent / "shared" / "bench"
DOMAIN = "127.0.0.1"
SUMMARY = re.compile(
    r"(?P<verdict>PASS|FAIL) proxy=.*?offered=(?P<offered>\d+)/s.*?"
    r"ok=(?P<ok>\d+) failed=(?P<failed>\d+).*?"
    r"achieved\(created\)=(?P<achieved>\d+)/s.*?\| proxy (?P<us>[\d.]+) us CPU",
    re.DOTALL,
)
# Kamailio's registrar.cfg does not authenticate INVITEs and has no flood limits (no pike)
# and no HTTP interface: neither does sipwarden here, so both do the same work.
CONFIG = """\
[auth]
authenticate_calls = false

[security]
enabled = false

[admin]
enabled = false

[log]
level = "warning"
"""


def add_users(data_dir: Path, count: int) -> None:
    """The harness's subscribers (gen-users.sh) as sipwarden accounts: HA1 only."""
    store = SqliteUserStore.open(data_dir)
    try:
        accounts = [(f"user{i:04d}", f"pass{i:04d}") for i in range(count)]
        for user, password in [("service", "servicepass"), *accounts]:
            if not store.exists(user, DOMAIN):
                store.add(user, DOMAIN, password)
    finally:
        store.close()


def sipwarden_command(data_dir: Path, config: Path) -> str:
    command = [sys.executable, "-m", "sipwarden", "run", "--data-dir", str(data_dir)]
    command += ["--listen", "udp:127.0.0.1:15060", "--config", str(config)]
    return shlex.join(command)


def run_one(proxy: str, rate: int, seconds: int, data_dir: Path, config: Path) -> str:
    env = dict(os.environ)
    if proxy == "sipwarden":
        env.update(PROXY_CMD=sipwarden_command(data_dir, config), PROXY_NAME="sipwarden")
        target = "cmd"
    else:
        target = "kamailio:registrar"
    result = subprocess.run(
        ["bash", str(BENCH / "run-baseline.sh"), target, "call-lookup", str(rate), str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds * 4 + 120,
    )
    return result.stdout + result.stderr


def table(rows: list[tuple[str, int, re.Match[str] | None]]) -> str:
    head = f"{'proxy':<10} {'offered/s':>9} {'verdict':>7} {'achieved/s':>10} {'ok':>7} "
    lines = [head + f"{'failed':>6} {'us CPU/msg':>10}"]
    for proxy, rate, match in rows:
        if match is None:
            lines.append(f"{proxy:<10} {rate:>9} {'ERROR':>7}")
            continue
        lines.append(
            f"{proxy:<10} {rate:>9} {match['verdict']:>7} {match['achieved']:>10} "
            f"{match['ok']:>7} {match['failed']:>6} {match['us']:>10}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rates", default="500,1000")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--proxies", default="kamailio,sipwarden")
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    subprocess.run(
        ["bash", str(BENCH / "gen-users.sh"), str(args.users)], check=True, capture_output=True
    )
    rows: list[tuple[str, int, re.Match[str] | None]] = []
    with tempfile.TemporaryDirectory(prefix="sipwarden-bench-") as tmp:
        data_dir, config = Path(tmp) / "data", Path(tmp) / "sipwarden.toml"
        config.write_text(CONFIG)
        add_users(data_dir, args.users)
        for rate in (int(r) for r in args.rates.split(",")):
            for proxy in args.proxies.split(","):
                output = run_one(proxy, rate, args.seconds, data_dir, config)
                print(output, flush=True)
                rows.append((proxy, rate, SUMMARY.search(output)))
    print(table(rows))
    return 0 if all(m is not None for _, _, m in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
