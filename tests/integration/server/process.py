"""`sipwarden run` as a child process, the way an admin starts it, for end-to-end tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

READY = re.compile(r"ready: listening on (?P<addresses>[^;]*);")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP right now (the system's pick for TCP, checked on UDP)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def sipwarden(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run one `sipwarden` command to completion (users add, ...)."""
    return subprocess.run(
        [sys.executable, "-m", "sipwarden", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )


@dataclass
class Running:
    process: subprocess.Popen[str]
    addresses: list[str]
    log: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGTERM, then the exit status (the server must stop by itself within 10 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)


DEFAULT_WORKERS = os.environ.get("SIPWARDEN_TEST_WORKERS", "1")  # "" or 0: one per core


@contextmanager
def running(
    args: Sequence[str], cwd: Path, timeout: float = 15.0, workers: int | None = None
) -> Iterator[Running]:
    """Start `sipwarden run ARGS`, wait for its ready line, stop it (SIGTERM) on exit.

    One process (`--workers 1`) unless ARGS name `--workers`, `workers` says otherwise (0:
    sipwarden's default, one worker per core) or SIPWARDEN_TEST_WORKERS does: tests that read
    the admin API right after something another worker saw (a ban made there) expect one."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if "--admin" not in args:
        args = [*args, "--admin", "127.0.0.1:0"]  # tests run side by side: no fixed port 8088
    count = str(workers) if workers is not None else DEFAULT_WORKERS
    if "--workers" not in args and count not in ("", "0"):
        args = [*args, "--workers", count]
    process = subprocess.Popen(
        [sys.executable, "-m", "sipwarden", "run", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Running(process, [])
    ready = threading.Event()
    reader = threading.Thread(target=_read, args=(server, ready), daemon=True)
    reader.start()
    try:
        if not ready.wait(timeout) or not server.addresses:
            raise AssertionError("sipwarden did not get ready:\n" + "".join(server.log))
        yield server
    finally:
        if process.poll() is None and not _terminate(process):
            process.kill()
            process.wait(timeout=5)
        reader.join(timeout=5)
        assert process.stderr is not None
        process.stderr.close()


def _terminate(process: subprocess.Popen[str]) -> bool:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return True


def _read(server: Running, ready: threading.Event) -> None:
    assert server.process.stderr is not None
    for line in server.process.stderr:
        server.log.append(line)
        match = READY.search(line)
        if match:
            server.addresses = match.group("addresses").split()
            ready.set()
    ready.set()  # the process ended: wake the waiter
