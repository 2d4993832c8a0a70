"""`sipwarden run --workers 2` end to end (docs/workers.md): SIPp calls between registered
phones over UDP spread over both workers (the kernel's SO_REUSEPORT hash picks one per source
port) and responses handed to the worker holding the branch; a phone registered over TCP (its
connection lives in worker 0) reached from a call that worker 1 took; a worker killed with
SIGKILL is restarted while calls go on; SIGTERM stops everything with exit status 0.

Which worker did what is read from the log: every worker's line carries `[wK]`.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.proxy.calls import ALICE, BOB, passed
from tests.integration.proxy.sippctl import SIPP, Proxy, Sipp, call, phone, register
from tests.integration.server.process import Running, free_port, running, sipwarden

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]
MAX_CALLS = 30  # the hash is per source port: 2^-29 that 30 calls all land on one worker
STARTED = re.compile(r"worker (?P<index>\d) (started|serving) pid=(?P<pid>\d+)")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with alice and bob, made once with `sipwarden users add`."""
    directory = tmp_path_factory.mktemp("accounts") / "data"
    for account in (ALICE, BOB):
        user = f"{account.user}@{account.domain}"
        args = ("users", "add", user, "--password", account.password)
        added = sipwarden(*args, "--data-dir", str(directory))
        assert added.returncode == 0, added.stderr
    return directory


@pytest.fixture
def data_dir(tmp_path: Path, accounts: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(accounts, copy)
    return copy


@contextmanager
def bob_answers(workdir: Path, proxy: Proxy) -> Iterator[Sipp]:
    """bob registers from a free port, then answers up to 100 calls there."""
    port = free_port()
    passed(register(workdir, proxy, BOB, port, name="bob-register"))
    with phone(workdir, "bob", "call_uas.xml", proxy, port, "-m", "100") as sipp:
        yield sipp


@contextmanager
def two_workers(data_dir: Path, cwd: Path) -> Iterator[tuple[Running, int]]:
    """`sipwarden run --workers 2` on UDP and TCP 127.0.0.1:<free port>."""
    port = free_port()
    args = ["--data-dir", str(data_dir), "--workers", "2"]
    args += ["--listen", f"udp:127.0.0.1:{port}", "--listen", f"tcp:127.0.0.1:{port}"]
    with running(args, cwd=cwd, timeout=30) as server:
        yield server, port


def invites_by_worker(server: Running) -> set[str]:
    """The workers that answered an INVITE (their outcome lines)."""
    found = set()
    for line in server.log:
        match = re.search(r"\[w(\d)\] sipwarden\.outcome: \S+ INVITE", line)
        if match:
            found.add(match.group(1))
    return found


def logged(server: Running, text: str) -> bool:
    return any(text in line for line in server.log)


def wait_logged(server: Running, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not logged(server, text):
        assert time.monotonic() < deadline, f"no {text!r} in:\n" + "".join(server.log)
        time.sleep(0.05)


def worker_pids(server: Running) -> dict[int, int]:
    """The latest pid of each worker, from the supervisor's `worker K serving pid=P` (first
    start) and `worker K started pid=P` (restart) lines."""
    pids: dict[int, int] = {}
    for line in server.log:
        match = STARTED.search(line)
        if match:
            pids[int(match.group("index"))] = int(match.group("pid"))
    return pids


def stop_cleanly(server: Running) -> None:
    pids = worker_pids(server)
    assert server.stop() == 0, "".join(server.log)
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # every worker was stopped and reaped


def calls_until(workdir: Path, proxy: Proxy, done: object, least: int) -> int:
    """alice calls bob from a new port each time, at least `least` times and until `done()`;
    every call must succeed. Returns how many were made."""
    assert callable(done)
    made = 0
    while made < least or not done():
        assert made < MAX_CALLS, "the calls never spread as expected"
        result = call(workdir, f"alice-{made}", "call_uac.xml", proxy, ALICE, BOB.user)
        passed(result)
        made += 1
    return made


def test_udp_calls_use_both_workers_and_hand_responses_over(tmp_path: Path, data_dir: Path) -> None:
    with two_workers(data_dir, tmp_path) as (server, port):
        proxy = Proxy("127.0.0.1", port, "u1")
        with bob_answers(tmp_path, proxy) as bob:

            def spread() -> bool:
                both = invites_by_worker(server) == {"0", "1"}
                return both and logged(server, "first recv handoff to worker")

            made = calls_until(tmp_path, proxy, spread, least=6)
            assert bob.process.poll() is None, bob.wait(0).describe()
        stop_cleanly(server)
    assert made >= 6
    assert any(re.search(r"handoffs: .*recv_in=[1-9]", line) for line in server.log)


def test_a_phone_registered_over_tcp_gets_a_call_taken_by_worker_1(
    tmp_path: Path, data_dir: Path
) -> None:
    with two_workers(data_dir, tmp_path) as (server, port):
        tcp = Proxy("127.0.0.1", port, "t1")
        udp = Proxy("127.0.0.1", port, "u1")
        with bob_answers(tmp_path, tcp):

            def worker_1_sent_over_tcp() -> bool:
                return logged(server, "[w1] sipwarden.workers: first send handoff to worker 0")

            calls_until(tmp_path, udp, worker_1_sent_over_tcp, least=2)
        stop_cleanly(server)


def test_a_killed_worker_is_restarted_and_calls_go_on(tmp_path: Path, data_dir: Path) -> None:
    with two_workers(data_dir, tmp_path) as (server, port):
        proxy = Proxy("127.0.0.1", port, "u1")
        with bob_answers(tmp_path, proxy):
            calls_until(tmp_path, proxy, lambda: True, least=3)
            victim = worker_pids(server)[1]
            os.kill(victim, 9)
            calls_until(tmp_path, proxy, lambda: True, least=3)  # worker 0 carries them
            wait_logged(server, "worker 1 restarted and serving")
            assert logged(server, "worker 1 exited (killed by SIGKILL); restarting in 1 s")
            assert worker_pids(server)[1] != victim
            calls_until(tmp_path, proxy, lambda: invites_by_worker(server) == {"0", "1"}, 4)
        stop_cleanly(server)
