"""SIPp phones for end-to-end call tests: one-shot runs (register, call) and answering phones
started in the background, each bounded in time and killed with its process group at the end.

A phone is one SIPp process on 127.0.0.1:`port`. To be reachable through the proxy it first
registers from that same port (`register`, scenario register_ok.xml, Contact = that port), then
the answering scenario starts on the port (`phone`), as the shared bench does for `service`.
Every run writes its errors and a message trace under `workdir`, named after the run, and
`Result.describe()` puts them in assertion messages.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.integration.server.process import free_port

SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).parent.parent / "sipp"
LOOPBACK = "127.0.0.1"
SIPP_TIMEOUT = "15s"  # sipp -timeout: every run ends within this, failing (-timeout_error)
WAIT = 30.0  # seconds we wait for a SIPp process before killing it


@dataclass(frozen=True)
class Proxy:
    """Where the phones send: host, port and SIPp transport ("u1" UDP, "t1" TCP)."""

    host: str
    port: int
    transport: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Account:
    user: str
    password: str  # no spaces: SIPp cuts [authentication] values at a space
    domain: str = LOOPBACK


@dataclass(frozen=True)
class Result:
    name: str
    returncode: int
    output: str
    workdir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        """The exit status, SIPp's output and the run's error and message logs."""
        parts = [f"--- {self.name}: sipp exit status {self.returncode}", self.output[-3000:]]
        for suffix in ("errors.log", "messages.log"):
            path = self.workdir / f"{self.name}_{suffix}"
            if path.exists():
                parts += [f"--- {path.name}", path.read_text(errors="replace")[-6000:]]
        return "\n".join(parts)


def credentials(workdir: Path, account: Account, expires: int = 3600) -> Path:
    """An injection file: user; [authentication ...]; domain; expires (register_ok.xml's)."""
    path = workdir / f"{account.user}.csv"
    keyword = f"[authentication username={account.user} password={account.password}]"
    path.write_text(f"SEQUENTIAL\n{account.user};{keyword};{account.domain};{expires}\n")
    return path


# SIPp's media ports come from below the kernel's ephemeral range (32768-60999 on Linux), where
# no other process is handed a port by bind(0) between our probe and SIPp's bind, and every block
# is handed out once per test session, so two SIPp runs started side by side never share one.
_MEDIA_BASES = range(20000, 30000, 4)  # 30000-32767: baresip.phone_ports
_media_taken: set[int] = set()


def free_media_port() -> int:
    """A -mp port whose block of four is free: SIPp binds audio RTP at it and video RTP at it
    + 2 (and RTCP next to each), so a free base port alone can still collide."""
    start = random.randrange(len(_MEDIA_BASES))
    for offset in range(len(_MEDIA_BASES)):
        base = _MEDIA_BASES[(start + offset) % len(_MEDIA_BASES)]
        if base in _media_taken:
            continue
        if all(_udp_free(base + n) for n in range(4)):
            _media_taken.add(base)
            return base
    raise RuntimeError("no free block of four UDP ports for SIPp's media")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def command(
    workdir: Path, name: str, scenario: str, proxy: Proxy, port: int, *extra: str
) -> list[str]:
    """One SIPp call of `scenario` from 127.0.0.1:`port`, bounded by SIPP_TIMEOUT."""
    assert SIPP is not None, "SIPp is not installed"
    return [
        SIPP,
        "-sf",
        str(SCENARIOS / scenario),
        "-t",
        proxy.transport,
        "-i",
        LOOPBACK,
        "-p",
        str(port),
        "-mp",
        str(free_media_port()),
        "-cp",
        str(free_port()),
        "-m",
        "1",
        "-timeout",
        SIPP_TIMEOUT,
        "-timeout_error",
        "-nostdin",
        "-trace_err",
        "-error_file",
        str(workdir / f"{name}_errors.log"),
        "-trace_msg",
        "-message_file",
        str(workdir / f"{name}_messages.log"),
        *extra,
        proxy.address,
    ]


def run(workdir: Path, name: str, scenario: str, proxy: Proxy, port: int, *extra: str) -> Result:
    """Run one SIPp call to its end (a client scenario)."""
    with background(workdir, name, scenario, proxy, port, *extra) as sipp:
        return sipp.wait()


def register(workdir: Path, proxy: Proxy, account: Account, port: int, name: str = "") -> Result:
    """REGISTER with digest from 127.0.0.1:`port`: the binding names that port."""
    inf = credentials(workdir, account)
    name = name or f"register-{account.user}-{port}"
    return run(workdir, name, "register_ok.xml", proxy, port, "-inf", str(inf))


def unregister(workdir: Path, proxy: Proxy, account: Account, port: int) -> Result:
    inf = credentials(workdir, account)
    name = f"unregister-{account.user}-{port}"
    return run(workdir, name, "register_unbind.xml", proxy, port, "-inf", str(inf))


def call_args(workdir: Path, proxy: Proxy, caller: Account, callee: str) -> list[str]:
    """-inf with the caller's credentials, -s the callee, and a digest-uri equal to the
    Request-URI sip:CALLEE@HOST:PORT (SIPp would use sip:HOST:PORT, RFC 7616 §3.4.6)."""
    inf = credentials(workdir, caller)
    return ["-inf", str(inf), "-s", callee, "-auth_uri", f"{callee}@{proxy.address}"]


def call(
    workdir: Path,
    name: str,
    scenario: str,
    proxy: Proxy,
    caller: Account,
    callee: str,
    port: int | None = None,
) -> Result:
    """`caller` calls `callee` with the UAC `scenario` (call_uac*.xml)."""
    extra = call_args(workdir, proxy, caller, callee)
    return run(workdir, name, scenario, proxy, port or free_port(), *extra)


class Sipp:
    """A SIPp process in its own process group, with its output in a file."""

    def __init__(self, workdir: Path, name: str, argv: list[str]) -> None:
        self.workdir, self.name = workdir, name
        self._output = workdir / f"{name}.out"
        with self._output.open("w") as out:
            self.process = subprocess.Popen(
                argv,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait(self, timeout: float = WAIT) -> Result:
        """The run's result once SIPp exits; killed (and failed) after `timeout` seconds."""
        try:
            returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            returncode = -9
        output = self._output.read_text(errors="replace")
        return Result(self.name, returncode, output, self.workdir)

    def kill(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def background(
    workdir: Path, name: str, scenario: str, proxy: Proxy, port: int, *extra: str
) -> Iterator[Sipp]:
    """Start SIPp; on exit from the block, kill its process group if it still runs."""
    sipp = Sipp(workdir, name, command(workdir, name, scenario, proxy, port, *extra))
    try:
        yield sipp
    finally:
        sipp.kill()


@contextmanager
def phone(
    workdir: Path, name: str, scenario: str, proxy: Proxy, port: int, *extra: str
) -> Iterator[Sipp]:
    """An answering phone (a call_uas*.xml scenario) on 127.0.0.1:`port`, listening when the
    block starts. `proxy` is only where SIPp would send first: the phone waits for INVITEs."""
    with background(workdir, name, scenario, proxy, port, *extra) as sipp:
        wait_listening(port, proxy.transport, sipp)
        yield sipp


def wait_listening(port: int, transport: str, sipp: Sipp, timeout: float = 10.0) -> None:
    """Until SIPp holds 127.0.0.1:`port` (read from /proc/net, so no probe steals the port)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sipp.process.poll() is not None:
            raise AssertionError(sipp.wait(0).describe())
        if bound(port, transport):
            return
        time.sleep(0.05)
    raise AssertionError(f"{sipp.name}: SIPp did not listen on port {port} in {timeout} s")


def bound(port: int, transport: str) -> bool:
    """Whether 127.0.0.1:`port` is bound: for UDP ("u1") at all, for TCP ("t1") listening."""
    tcp = transport.startswith("t")
    wanted = f"0100007F:{port:04X}"
    with open("/proc/net/tcp" if tcp else "/proc/net/udp") as table:
        for line in table:
            fields = line.split()
            if len(fields) > 3 and fields[1] == wanted and (not tcp or fields[3] == "0A"):
                return True  # TCP state 0A = LISTEN
    return False
