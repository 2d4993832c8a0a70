#!/usr/bin/env python3
"""Instructions per call through a real proxy process, sipwarden or Kamailio, under callgrind.

`vs_kamailio.py` measures CPU time, which on a shared two-core machine moves with the load and
with how cold the caches are; `hotpath.py` counts instructions but feeds the server without
sockets and for a few seconds only, so the transactions' end timers (5-32 s) never fire and the
event loop's own work is missing. This runs the real thing: the proxy (`sipwarden run --workers
1`, or Kamailio with ../shared/bench's registrar.cfg) under `valgrind --tool=callgrind`, the
phone `service` registered, SIPp placing `--calls` calls (uac.xml/uas.xml: INVITE 180 200 ACK BYE
200, record-routed) at 4 calls/s, then idle until `--seconds` after start-up so every timer of
those calls has fired. A second run with no calls and the same length gives the baseline
(start-up, registration, idle timers, shutdown); the difference divided by the calls is printed.
Instruction counts are repeatable to a fraction of a percent, whatever else runs.

Usage: python benchmarks/instructions.py [sipwarden|kamailio] [--calls 100] [--seconds 90]
Needs valgrind, sipp and kamailio; ports 127.0.0.1:15060-15099. Each run takes `--seconds` plus
the start-up under valgrind (~30 s for sipwarden).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import vs_kamailio as vk  # benchmarks/ is this script's path

RATE = 4  # calls/s: what the proxy carries under valgrind (30-50x slower) without retransmits


def command(name: str, workdir: Path, out: Path) -> list[str]:
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.%p"]
    if name == "kamailio":
        run = workdir / "kamailio-run"
        run.mkdir(exist_ok=True)
        kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
        config = str(vk.kamailio_config(workdir, "udp"))
        dburl = f'DBURL="text://{vk.BENCH}/kamailio/dbtext"'
        return [*valgrind, "--trace-children=yes", kamailio, "-f", config, "-DD", "-E",
                "-m", "256", "-M", "16", "-x", "fm", "-Y", str(run), "-w", str(run),
                "-A", dburl]  # fmt: skip
    config = workdir / "sipwarden.toml"
    config.write_text(vk.CONFIG)
    return [*valgrind, sys.executable, "-m", "sipwarden", "run", "--data-dir",
            str(workdir / "data"), "--config", str(config), "--listen",
            f"udp:127.0.0.1:{vk.PROXY}", "--workers", "1"]  # fmt: skip


def total(out: Path) -> int:
    """The instructions of every process callgrind wrote a profile for in `out`."""
    count = 0
    for profile in out.glob("callgrind.*"):
        for line in profile.read_text(errors="replace").splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                count += int(line.split()[1])
                break
    return count


def one_run(name: str, calls: int, seconds: float, workdir: Path) -> int:
    """Instructions of one proxy run placing `calls` calls, `seconds` long after start-up."""
    out = workdir / f"{name}-{calls}"
    out.mkdir()
    log = (workdir / f"{name}-{calls}.log").open("w")
    env = dict(os.environ, PYTHONHASHSEED="0")
    process = subprocess.Popen(
        command(name, workdir, out), stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not subprocess.run(
            ["ss", "-Hlun", f"( sport = :{vk.PROXY} )"], capture_output=True, text=True
        ).stdout.strip():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start under valgrind: see {log.name}")
            time.sleep(0.2)
        time.sleep(3)
        began = time.monotonic()
        tag, target = f"{name}-{calls}", f"127.0.0.1:{vk.PROXY}"
        vk.register_service(workdir, tag, target, "udp")
        if calls:
            uas = vk.start_uas(workdir, tag, target, "udp", calls, seconds)
            vk.run_uac(workdir, tag, target, "udp", RATE, calls, seconds)
            vk.finish(uas, 60)
            ok, failed = vk.stats(workdir, tag, calls)
            if failed or ok != calls:
                raise SystemExit(f"{name}: {failed} of {calls} calls failed (see {workdir})")
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))
    finally:
        vk.stop(process)
        log.close()
    return total(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proxy", choices=("sipwarden", "kamailio"))
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=90.0, help="each run, after start-up")
    args = parser.parse_args()
    if args.calls / RATE + 40 > args.seconds:
        parser.error("--seconds must leave 40 s after the last call for the timers to fire")
    subprocess.run(["bash", str(vk.BENCH / "gen-users.sh"), "1000"], check=True,
                   capture_output=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sipwarden-instr-") as tmp:
        workdir = Path(tmp)
        vk.add_users(workdir / "data", 1000)
        idle = one_run(args.proxy, 0, args.seconds, workdir)
        busy = one_run(args.proxy, args.calls, args.seconds, workdir)
    per_call = (busy - idle) / args.calls
    print(f"{args.proxy}: {per_call:,.0f} instructions per call ({args.calls} calls)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
