#!/usr/bin/env python3
"""OPTIONS -> 200 over UDP: sipwarden's transport path next to Kamailio, SIPp as the client.

For each proxy (Kamailio with kamailio-options.cfg, then sipwarden's OPTIONS responder), in the
same run on this machine: SIPp sends OPTIONS at each offered rate for a fixed time; we record
the answered rate, failures, and the proxy's CPU time per answered OPTIONS (all its processes).

Usage: python benchmarks/options/run.py [--rates 2000,5000,10000] [--seconds 10]
       [--proxies kamailio,sipwarden]
Needs: sipp (Debian sip-tester) and kamailio on PATH. Ports 127.0.0.1:15060 and :15070.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROXY_PORT = 15060
UAC_PORT = 15070
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    proxy: str
    offered: int
    seconds: float
    ok: int
    failed: int
    cpu: float

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    @property
    def us_per_msg(self) -> float:
        return self.cpu * 1e6 / self.ok if self.ok else float("nan")


def proxy_command(name: str) -> list[str]:
    if name == "kamailio":
        kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
        cfg = str(HERE / "kamailio-options.cfg")
        return [kamailio, "-f", cfg, "-DD", "-E", "-m", "256", "-M", "16", "-x", "fm"]
    if name in ("sipwarden", "sipwarden-asyncio"):
        loop = "asyncio" if name.endswith("asyncio") else "uvloop"
        return [sys.executable, str(HERE / "responder.py"), f"udp:127.0.0.1:{PROXY_PORT}", loop]
    raise SystemExit(f"unknown proxy {name!r}")


def group_cpu(pgid: int) -> float:
    """User+system CPU seconds of every process in process group `pgid`."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 (pgrp), after pid and comm were cut off
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def wait_listening(proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"proxy exited with {proc.returncode}")
        out = subprocess.run(["ss", "-uln"], capture_output=True, text=True).stdout
        if f"127.0.0.1:{PROXY_PORT} " in out:
            return
        time.sleep(0.1)
    raise SystemExit("proxy did not start listening")


def run_sipp(rate: int, seconds: int, workdir: str) -> tuple[int, int]:
    calls = rate * seconds
    cmd = [
        shutil.which("sipp") or "sipp",
        f"127.0.0.1:{PROXY_PORT}",
        "-sf", str(HERE / "options_uac.xml"),
        "-i", "127.0.0.1", "-p", str(UAC_PORT),
        "-r", str(rate), "-m", str(calls), "-l", str(max(rate * 4, 100)),
        "-s", "bench", "-t", "u1", "-buff_size", "2097152",
        "-timeout", f"{seconds + 30}s", "-timeout_error", "-nostdin",
        "-trace_stat", "-stf", os.path.join(workdir, "stat.csv"), "-fd", "1000",
    ]  # fmt: skip
    subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=seconds + 60)
    return read_counts(os.path.join(workdir, "stat.csv"))


def read_counts(path: str) -> tuple[int, int]:
    with open(path) as handle:
        rows = [line.rstrip("\n").split(";") for line in handle if line.strip()]
    header, last = rows[0], rows[-1]
    ok = int(last[header.index("SuccessfulCall(C)")])
    failed = int(last[header.index("FailedCall(C)")])
    return ok, failed


def measure(name: str, rate: int, seconds: int) -> Result:
    proc = subprocess.Popen(
        proxy_command(name), start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_listening(proc)
        time.sleep(0.5)
        cpu0 = group_cpu(proc.pid)
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as workdir:
            ok, failed = run_sipp(rate, seconds, workdir)
        elapsed = time.monotonic() - start
        cpu = group_cpu(proc.pid) - cpu0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=10)
    return Result(name, rate, elapsed, ok, failed, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="2000,5000,10000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--proxies", default="kamailio,sipwarden")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    print(f"{'proxy':10} {'offered/s':>9} {'answered/s':>10} {'failed':>6} {'CPU us/msg':>10}")
    for name in args.proxies.split(","):
        for rate in rates:
            r = measure(name, rate, args.seconds)
            print(f"{r.proxy:10} {r.offered:9d} {r.rate:10.0f} {r.failed:6d} {r.us_per_msg:10.1f}")
            sys.stdout.flush()
            if re.match("kamailio", name) is None and r.failed:
                break


if __name__ == "__main__":
    main()
