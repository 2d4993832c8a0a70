#!/usr/bin/env python3
"""REGISTER with digest auth per second: `sipwarden run` next to Kamailio, SIPp as the client.

Built on ../shared/bench (run-baseline.sh, scenario `register`: REGISTER -> 401 -> REGISTER
with digest -> 200, users user0000.. / pass0000.. in domain 127.0.0.1). For each offered rate,
Kamailio (`kamailio:registrar`, db_text subscribers, in-memory usrloc) and then sipwarden
(`sipwarden run` on a fresh data directory holding the same users, bindings in SQLite) run
one after the other in the same invocation; the harness's summary for each is printed, then one
line per run: offered rate, PASS/FAIL, achieved rate and the proxy's CPU per received message.

Usage: python benchmarks/register/run.py [--rates 1000,2000] [--seconds 15]
       [--proxies kamailio,sipwarden] [--users 1000] [--sipwarden-args="--workers 1"]
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
SUMMARY = re.compile(
    r"(?P<verdict>PASS|FAIL) proxy=.*?offered=(?P<offered>\d+)/s.*?"
    r"achieved\(created\)=(?P<achieved>\d+)/s.*?\| proxy (?P<us>[\d.]+) us CPU",
    re.DOTALL,
)


def add_users(data_dir: Path, count: int) -> None:
    """The harness's subscribers (gen-users.sh) as sipwarden accounts: HA1 only."""
    store = SqliteUserStore.open(data_dir)
    try:
        for i in range(count):
            user = f"user{i:04d}"
            if not store.exists(user, "127.0.0.1"):
                store.add(user, "127.0.0.1", f"pass{i:04d}")
    finally:
        store.close()


# Kamailio's registrar.cfg has no flood limits (no pike) and no HTTP interface: neither does
# sipwarden here, so both do the same work per REGISTER.
CONFIG = """\
[security]
enabled = false

[admin]
enabled = false

[log]
level = "warning"
"""


def run_one(proxy: str, rate: int, seconds: int, data_dir: Path, extra: str = "") -> str:
    env = dict(os.environ)
    if proxy == "sipwarden":
        command = [
            sys.executable,
            "-m",
            "sipwarden",
            "run",
            "--data-dir",
            str(data_dir),
            "--listen",
            "udp:127.0.0.1:15060",
            "--config",
            str(data_dir.parent / "sipwarden.toml"),
            *shlex.split(extra),
        ]
        (data_dir.parent / "sipwarden.toml").write_text(CONFIG)
        env.update(PROXY_CMD=shlex.join(command), PROXY_NAME="sipwarden")
        target = "cmd"
    else:
        target = "kamailio:registrar"
    result = subprocess.run(
        ["bash", str(BENCH / "run-baseline.sh"), target, "register", str(rate), str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds * 4 + 120,
    )
    return result.stdout + result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1000,2000")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--proxies", default="kamailio,sipwarden")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument(
        "--sipwarden-args",
        default="",
        metavar="ARGS",
        help='more `sipwarden run` flags, e.g. "--workers 1" (the harness counts the CPU of the '
        "processes it sees when the port opens: workers started later are missed)",
    )
    args = parser.parse_args()
    subprocess.run(
        ["bash", str(BENCH / "gen-users.sh"), str(args.users)], check=True, capture_output=True
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="sipwarden-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        add_users(data_dir, args.users)
        for rate in (int(r) for r in args.rates.split(",")):
            for proxy in args.proxies.split(","):
                output = run_one(proxy, rate, args.seconds, data_dir, args.sipwarden_args)
                print(output, flush=True)
                match = SUMMARY.search(output)
                rows.append((proxy, rate, match))
    print(f"{'proxy':<10} {'offered/s':>9} {'verdict':>7} {'achieved/s':>10} {'us CPU/msg':>10}")
    for proxy, rate, match in rows:
        if match is None:
            print(f"{proxy:<10} {rate:>9} {'ERROR':>7}")
            continue
        print(
            f"{proxy:<10} {rate:>9} {match['verdict']:>7} {match['achieved']:>10} {match['us']:>10}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
