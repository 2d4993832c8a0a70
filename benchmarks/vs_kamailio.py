#!/usr/bin/env python3
"""sipwarden next to Kamailio, in the same run on this machine, SIPp as the phones (issue #9).

For each scenario, Kamailio (../shared/bench/kamailio/registrar.cfg: registrar, digest auth on
REGISTER, lookup + stateful relay with Record-Route, `fm` allocator, 2 workers) and then
sipwarden (the same work: no INVITE challenge, no flood shield, no admin API) are started on
127.0.0.1:15060 and driven by SIPp at a fixed rate both can carry. Per proxy and scenario it
prints the proxy's CPU time per 1,000 calls (the primary figure: SIPp shares the 2 cores, so a
maximum rate measures SIPp as much as the proxy), the calls that failed, and for `call` the
mean time the proxy adds to an INVITE (SIPp's INVITE -> 200 time through the proxy minus the
same directly between the phones; SIPp's whole-millisecond clock makes a median meaningless).

Scenarios: `register` (REGISTER, 401, REGISTER with digest, 200), `call` (INVITE 180 200 ACK
BYE 200 to a registered phone over UDP), `call-tcp` (the same over TCP).
`--find-max` adds the highest rate each proxy sustains for `--seconds`: no failed call, and
the calls done in the time offered (10 % slack; a doubling then bisecting search; slow);
`--memory N` registers N contacts and reports the resident memory of each proxy and the bytes
per contact.

Usage: python benchmarks/vs_kamailio.py [--scenarios register,call,call-tcp] [--rate 300]
       [--seconds 15] [--find-max] [--memory 100000]
Needs sipp and kamailio (`apt-get install -y sip-tester kamailio`); ports 127.0.0.1:15060-15099.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
SIPP_DIR = BENCH / "sipp"
PROXY, UAC, UAS = 15060, 15070, 15090
HZ = os.sysconf("SC_CLK_TCK")
SETTLE = 40.0  # seconds after the registrations before memory is read
CONFIG = """\
[auth]
authenticate_calls = false

[security]
enabled = false

[admin]
enabled = false

[cdr]
enabled = false

[log]
level = "warning"
"""


@dataclass
class Run:
    proxy: str
    scenario: str
    rate: int
    ok: int
    failed: int
    cpu: float  # seconds of proxy CPU over the run
    latency_ms: float | None = None
    elapsed: float = 0.0  # wall seconds the calling SIPp took, start to last call ended

    def sustained(self, seconds: int) -> bool:
        """Every call succeeded and they took no longer than offered: SIPp retransmits and
        waits up to its -timeout, so an overloaded proxy still completes every call, late;
        10 % and SIPp's start-up (~1 s) are allowed."""
        calls = self.rate * seconds
        return self.failed == 0 and self.ok == calls and self.elapsed <= seconds * 1.1 + 2

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu * 1000 / self.ok if self.ok else float("nan")


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and every descendant (Kamailio forks its workers)."""
    total = 0
    for child in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / HZ


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def resident_bytes(pid: int) -> int:
    total = 0
    for child in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) * 1024 if match else 0
    return total


def kamailio_config(workdir: Path, transport: str) -> Path:
    """registrar.cfg, listening on TCP instead of UDP for `call-tcp`."""
    text = (BENCH / "kamailio" / "registrar.cfg").read_text()
    if transport == "tcp":
        text = text.replace("listen=udp:127.0.0.1:15060", "listen=tcp:127.0.0.1:15060")
        text = text.replace("disable_tcp=yes", "disable_tcp=no")
    path = workdir / f"kamailio-{transport}.cfg"
    path.write_text(text)
    return path


@contextmanager
def proxy(name: str, transport: str, workdir: Path, workers: int = 1) -> Iterator[int]:
    """Start `name` listening on `transport` 127.0.0.1:15060; yield its pid; stop it."""
    log = (workdir / f"{name}-{transport}.log").open("w")
    if name == "kamailio":
        run = workdir / "kamailio-run"
        run.mkdir(exist_ok=True)
        command = [
            shutil.which("kamailio") or "/usr/sbin/kamailio",
            "-f",
            str(kamailio_config(workdir, transport)),
            "-DD",
            "-E",
            "-m",
            "4096",
            "-M",
            "16",
            "-x",
            "fm",
            "-Y",
            str(run),
            "-w",
            str(run),
            "-A",
            f'DBURL="text://{BENCH}/kamailio/dbtext"',
        ]
    else:
        config = workdir / "sipwarden.toml"
        config.write_text(CONFIG)
        command = [
            sys.executable,
            "-m",
            "sipwarden",
            "run",
            "--data-dir",
            str(workdir / "data"),
            "--config",
            str(config),
            "--listen",
            f"{transport}:127.0.0.1:{PROXY}",
            "--workers",
            str(workers),
        ]
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_bound(transport, process, name, log.name)
        yield process.pid
    finally:
        stop(process)
        log.close()
        time.sleep(0.5)


def wait_bound(transport: str, process: subprocess.Popen[bytes], name: str, log: str) -> None:
    """Until something listens on 127.0.0.1:15060 (`ss`), at most 20 s."""
    flag = "-Hltn" if transport == "tcp" else "-Hlun"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} did not start: see {log}")
        listening = subprocess.run(
            ["ss", flag, f"( sport = :{PROXY} )"], capture_output=True, text=True
        ).stdout
        if listening.strip():
            time.sleep(1.0)  # every worker of a multi-process proxy up too
            return
        time.sleep(0.1)
    raise SystemExit(f"{name} is not listening after 20 s: see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL after 10 s; a process already gone is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def sipp(
    workdir: Path,
    name: str,
    scenario: str,
    target: str,
    transport: str,
    *extra: str,
    background: bool = False,
) -> subprocess.Popen[bytes]:
    here = workdir / name  # its own folder: SIPp names its -trace_rtt file after the scenario
    here.mkdir(exist_ok=True)
    command = [
        "sipp",
        "-sf",
        scenario if scenario.startswith("/") else str(SIPP_DIR / scenario),
        target,
        "-i",
        "127.0.0.1",
        "-t",
        "t1" if transport == "tcp" else "u1",
        "-nostdin",
        "-buff_size",
        "2097152",
        "-trace_stat",
        "-stf",
        str(here / "stats.csv"),
        "-trace_err",
        "-error_file",
        str(here / "errors.log"),
        *extra,
    ]
    process = subprocess.Popen(
        command,
        cwd=here,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if not background:
        process.wait()
    return process


def stats(workdir: Path, name: str, calls: int) -> tuple[int, int]:
    """(successful, failed) of a SIPp run; calls that never ended (SIPp could not start,
    was killed, timed out) count as failed."""
    path = workdir / name / "stats.csv"
    rows = list(csv.reader(path.open(), delimiter=";")) if path.exists() else []
    last = dict(zip(rows[0], rows[-1])) if len(rows) > 1 else {}
    ok = int(last.get("SuccessfulCall(C)", 0))
    return ok, max(int(last.get("FailedCall(C)", 0)), calls - ok)


def rtt_mean(workdir: Path, name: str) -> float | None:
    """Mean INVITE -> 200 time (ms) from SIPp's -trace_rtt file. SIPp records whole
    milliseconds on a coarse clock, so most samples read 0 and the median says nothing; the
    mean includes the slow tail (a retransmission, a stall), which is what an admin feels."""
    values = [
        float(row[1])
        for path in (workdir / name).glob("*_rtt.csv")
        for row in csv.reader(path.open(), delimiter=";")
        if len(row) >= 3 and row[1].replace(".", "", 1).isdigit()
    ]
    return statistics.fmean(values) if values else None


def one(name: str, scenario: str, rate: int, seconds: int, workdir: Path, workers: int = 1) -> Run:
    transport = "tcp" if scenario == "call-tcp" else "udp"
    calls = rate * seconds
    target = f"127.0.0.1:{PROXY}"
    tag = f"{name}-{scenario}-{rate}"
    with proxy(name, transport, workdir, workers) as pid:
        if scenario == "register":
            start = cpu_seconds(pid)
            began = time.monotonic()
            sipp(
                workdir,
                tag,
                "register.xml",
                target,
                transport,
                "-inf",
                str(SIPP_DIR / "users.csv"),
                "-p",
                str(UAC),
                "-r",
                str(rate),
                "-m",
                str(calls),
                "-timeout",
                f"{seconds * 3 + 30}s",
            )
            elapsed = time.monotonic() - began
            ok, failed = stats(workdir, tag, calls)
            return Run(name, scenario, rate, ok, failed, cpu_seconds(pid) - start, None, elapsed)
        register_service(workdir, tag, target, transport)
        uas = start_uas(workdir, tag, target, transport, calls, seconds)
        start = cpu_seconds(pid)
        began = time.monotonic()
        run_uac(workdir, tag, target, transport, rate, calls, seconds)
        elapsed = time.monotonic() - began
        cpu = cpu_seconds(pid) - start
        finish(uas, 30)
    ok, failed = stats(workdir, tag, calls)
    return Run(name, scenario, rate, ok, failed, cpu, rtt_mean(workdir, tag), elapsed)


def register_service(workdir: Path, tag: str, target: str, transport: str) -> None:
    """The phone `service` registers from the UAS port with a Contact that names its transport
    (`;transport=tcp` for call-tcp: how a TCP phone registers, so both proxies reach it on TCP)."""
    fields = workdir / "service-fields.csv"
    fields.write_text(
        "SEQUENTIAL\n"
        "service;[authentication username=service password=servicepass];127.0.0.1;3600\n"
    )
    scenario = ROOT / "tests" / "integration" / "sipp" / "register_ok.xml"
    process = sipp(
        workdir,
        f"{tag}-prereg",
        str(scenario),
        target,
        transport,
        "-inf",
        str(fields),
        "-p",
        str(UAS),
        "-m",
        "1",
        "-timeout",
        "10s",
    )
    if process.returncode != 0:
        raise SystemExit(f"{tag}: the phone could not register (see {workdir / (tag + '-prereg')})")


def finish(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait for a background SIPp; kill it (its unfinished calls count as failed) if it hangs."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def start_uas(
    workdir: Path, tag: str, target: str, transport: str, calls: int, seconds: int
) -> subprocess.Popen[bytes]:
    """The answering phone `service` (uas.xml) on the UAS port, for `calls` calls."""
    timeout = f"{seconds * 3 + 45}s"
    uas = sipp(workdir, f"{tag}-uas", "uas.xml", target, transport, "-p", str(UAS),
               "-m", str(calls), "-timeout", timeout, background=True)  # fmt: skip
    time.sleep(0.5)
    return uas


def run_uac(
    workdir: Path, tag: str, target: str, transport: str, rate: int, calls: int, seconds: int
) -> None:
    """`calls` calls to `service` at `rate` per second (uac.xml), INVITE -> 200 times traced."""
    timeout = f"{seconds * 3 + 30}s"
    sipp(workdir, tag, "uac.xml", target, transport, "-s", "service", "-p", str(UAC),
         "-r", str(rate), "-m", str(calls), "-timeout", timeout,
         "-trace_rtt", "-rtt_freq", "1")  # fmt: skip


def direct_rtt(rate: int, seconds: int, transport: str, workdir: Path) -> float | None:
    """INVITE -> 200 mean between the phones with no proxy: the baseline of `latency`."""
    tag = f"direct-{transport}-{rate}"
    calls = rate * seconds
    uas = start_uas(workdir, tag, f"127.0.0.1:{UAC}", transport, calls, seconds)
    run_uac(workdir, tag, f"127.0.0.1:{UAS}", transport, rate, calls, seconds)
    finish(uas, 30)
    return rtt_mean(workdir, tag)


def find_max(name: str, scenario: str, start: int, seconds: int, workdir: Path) -> int:
    """The highest rate sustained for `seconds` (`Run.sustained`): double, then bisect (4
    steps)."""
    good, bad = 0, None
    rate = start
    while bad is None:
        run = one(name, scenario, rate, seconds, workdir)
        if run.sustained(seconds):
            good, rate = rate, rate * 2
        else:
            bad = rate
    for _ in range(4):
        rate = (good + bad) // 2
        if rate <= good:
            break
        run = one(name, scenario, rate, seconds, workdir)
        if run.sustained(seconds):
            good = rate
        else:
            bad = rate
    return good


def memory(name: str, contacts: int, workdir: Path) -> tuple[int, int]:
    """Resident bytes of the proxy before and after `contacts` registrations, read once the
    registrations' transactions have ended, so only what each contact keeps is counted."""
    tag = f"{name}-memory"
    with proxy(name, "udp", workdir) as pid:
        before = resident_bytes(pid)
        rate = 1000
        sipp(
            workdir,
            tag,
            "register.xml",
            f"127.0.0.1:{PROXY}",
            "udp",
            "-inf",
            str(SIPP_DIR / "users.csv"),
            "-p",
            str(UAC),
            "-r",
            str(rate),
            "-m",
            str(contacts),
            "-timeout",
            f"{contacts // rate * 3 + 60}s",
        )
        time.sleep(SETTLE)  # transactions end (Timer J: 64*T1 = 32 s); what stays is per contact
        return before, resident_bytes(pid)


def add_users(data_dir: Path, count: int) -> None:
    from sipwarden.users.store import SqliteUserStore

    store = SqliteUserStore.open(data_dir)
    try:
        if not store.exists("service", "127.0.0.1"):
            store.add("service", "127.0.0.1", "servicepass")
        for i in range(count):
            if not store.exists(f"user{i:04d}", "127.0.0.1"):
                store.add(f"user{i:04d}", "127.0.0.1", f"pass{i:04d}")
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="register,call,call-tcp")
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--find-max", action="store_true")
    parser.add_argument("--memory", type=int, default=0, metavar="N")
    parser.add_argument("--keep", action="store_true", help="keep the logs (printed path)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="sipwarden worker processes (default 1: SIPp sends from one socket, so the kernel "
        "gives all its traffic to one worker anyway, docs/workers.md)",
    )
    args = parser.parse_args()
    users = max(args.users, args.memory)
    subprocess.run(
        ["bash", str(BENCH / "gen-users.sh"), str(users)], check=True, capture_output=True
    )
    with tempfile.TemporaryDirectory(prefix="sipwarden-vs-") as tmp:
        workdir = Path(tempfile.mkdtemp(prefix="sipwarden-vs-")) if args.keep else Path(tmp)
        if args.keep:
            print(f"logs in {workdir}")
        add_users(workdir / "data", users)
        runs = [
            one(name, scenario, args.rate, args.seconds, workdir, args.workers)
            for scenario in args.scenarios.split(",")
            for name in ("kamailio", "sipwarden")
        ]
        baseline = {t: direct_rtt(args.rate, args.seconds, t, workdir) for t in ("udp", "tcp")}
        print_table(runs, baseline)
        if args.find_max:
            for scenario in args.scenarios.split(","):
                for name in ("kamailio", "sipwarden"):
                    best = find_max(name, scenario, args.rate, args.seconds, workdir)
                    print(f"max sustained {scenario:<9} {name:<10} {best} calls/s")
        if args.memory:
            for name in ("kamailio", "sipwarden"):
                before, after = memory(name, args.memory, workdir)
                per = (after - before) / args.memory
                print(
                    f"memory {name:<10} {after / 2**20:.0f} MiB resident after "
                    f"{args.memory} registrations ({per:.0f} bytes per contact)"
                )
    return 0


def print_table(runs: list[Run], baseline: dict[str, float | None]) -> None:
    print(
        f"{'scenario':<9} {'proxy':<10} {'rate/s':>6} {'ok':>6} {'failed':>6} "
        f"{'CPU s/1000 calls':>16} {'ratio':>6} {'added ms (mean)':>15}"
    )
    kamailio = {r.scenario: r for r in runs if r.proxy == "kamailio"}
    for run in runs:
        ratio = kamailio[run.scenario].cpu_per_1000 / run.cpu_per_1000
        added = "-"
        base = baseline["tcp" if run.scenario == "call-tcp" else "udp"]
        if run.latency_ms is not None and base is not None:
            added = f"{run.latency_ms - base:.2f}"
        print(
            f"{run.scenario:<9} {run.proxy:<10} {run.rate:>6} {run.ok:>6} {run.failed:>6} "
            f"{run.cpu_per_1000:>16.3f} {ratio:>6.2f} {added:>15}"
        )


if __name__ == "__main__":
    sys.exit(main())
