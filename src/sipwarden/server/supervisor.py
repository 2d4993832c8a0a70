"""`sipwarden run --workers N`: the parent process that runs N workers (docs/workers.md).

How this works: the parent has already validated the configuration. It opens one loopback UDP
socket per worker for the handoff (kept open here and inherited by file descriptor, so a
restarted worker gets the same port back), starts worker 0 alone (it creates the data
directory's files, the self-signed TLS pair, migrates the database and binds any port 0),
reads the listeners worker 0 reports on its stdout, then starts the others with those concrete
addresses. Once every worker has reported, it logs the one `ready` line. SIGTERM, SIGINT and
SIGHUP are passed on to every worker; a worker that exits while nobody asked it to is started
again after one second, and its exit status is logged. Workers run in their own process group
(Ctrl-C reaches them through here) and die with the parent (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sipwarden import __version__
from sipwarden.build import build_info
from sipwarden.server.workers import LOOPBACK, format_ports

log = logging.getLogger("sipwarden.supervisor")
READY_LOG = logging.getLogger("sipwarden.server")
BACKOFF = 1.0  # seconds before a worker that died is started again
STOP_GRACE = 20.0  # seconds workers get to stop before they are killed
START_TIMEOUT = 60.0  # seconds a worker gets to report ready
HANDOFF_BUFFER = 4 * 1024 * 1024  # bytes of receive buffer per handoff socket (kernel-capped)


@dataclass
class Worker:
    index: int
    sock: socket.socket
    process: asyncio.subprocess.Process | None = None
    listeners: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Plan:
    """What every worker is started with: the `run` flags (without --listen), the listen
    specs, and what the ready line names."""

    flags: list[str]
    listen: list[str]
    domains: Sequence[str]
    data_dir: str


class Supervisor:
    def __init__(self, plan: Plan, count: int) -> None:
        self.plan = plan
        self.count = count
        self.workers: list[Worker] = []
        self.stopping = asyncio.Event()
        self.signalled = False  # the stop signal was passed on already
        self.ports: list[int] = []

    async def run(self) -> int:
        self._open_sockets()
        try:
            self._install_signals()
            return await self._supervise()
        finally:
            for worker in self.workers:
                worker.sock.close()

    def _open_sockets(self) -> None:
        for index in range(self.count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, HANDOFF_BUFFER)
            sock.bind((LOOPBACK, 0))
            self.workers.append(Worker(index, sock))
            self.ports.append(int(sock.getsockname()[1]))

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop, signum)
        loop.add_signal_handler(signal.SIGHUP, self._forward, signal.SIGHUP)

    def _stop(self, signum: int) -> None:
        if not self.stopping.is_set():
            log.info("stopping %d workers (%s)", self.count, signal.Signals(signum).name)
        self.stopping.set()
        self.signalled = True
        self._forward(signum)

    def _forward(self, signum: int) -> None:
        for worker in self.workers:
            process = worker.process
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signum)

    async def _supervise(self) -> int:
        first = self.workers[0]
        tasks: dict[int, asyncio.Future[None]] = {
            first.index: asyncio.ensure_future(self._keep(first))
        }
        if not await self._started([first]):
            return await self._wind_down(tasks, 0 if self.signalled else 1)
        self.plan.listen = first.listeners  # concrete ports: every start uses the same
        for worker in self.workers[1:]:
            tasks[worker.index] = asyncio.ensure_future(self._keep(worker))
        if not await self._started(self.workers[1:]):
            return await self._wind_down(tasks, 0 if self.signalled else 1)
        READY_LOG.info(
            "sipwarden %s (%s) ready: listening on %s; domains: %s; data: %s; workers: %d",
            __version__,
            build_info(),
            " ".join(first.listeners),
            ", ".join(self.plan.domains) or "(own addresses only)",
            self.plan.data_dir,
            self.count,
        )
        for worker in self.workers:
            pid = worker.process.pid if worker.process is not None else 0
            log.info("worker %d serving pid=%d", worker.index, pid)
        await self.stopping.wait()
        return await self._wind_down(tasks, 0)

    async def _started(self, workers: Sequence[Worker]) -> bool:
        """True once every worker reported ready; False when one gave up first."""
        waits = [asyncio.ensure_future(w.ready.wait()) for w in workers]
        waits.append(asyncio.ensure_future(self.stopping.wait()))
        pending: set[asyncio.Task[Literal[True]]] = set(waits)
        try:
            while not self.stopping.is_set() and not all(w.ready.is_set() for w in workers):
                done, pending = await asyncio.wait(
                    pending, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
                )
                if not done:
                    log.error("workers not ready after %.0f s", START_TIMEOUT)
                    break
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
        return all(w.ready.is_set() for w in workers) and not self.stopping.is_set()

    async def _wind_down(self, tasks: dict[int, asyncio.Future[None]], status: int) -> int:
        self.stopping.set()
        if not self.signalled:  # a second SIGTERM could hit a worker whose loop has closed
            self._forward(signal.SIGTERM)
        _, pending = await asyncio.wait(tasks.values(), timeout=STOP_GRACE)
        for worker in self.workers:
            if worker.process is not None and worker.process.returncode is None:
                log.warning("worker %d did not stop in %.0f s: killed", worker.index, STOP_GRACE)
                worker.process.kill()
        if pending:
            await asyncio.wait(pending, timeout=5)
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        return status

    async def _keep(self, worker: Worker) -> None:
        """Run `worker`; start it again after BACKOFF whenever it exits unasked."""
        while not self.stopping.is_set():
            status = await self._run_once(worker)
            if self.stopping.is_set():
                if worker.ready.is_set():
                    log.info("worker %d stopped (%s)", worker.index, describe(status))
                return
            if not worker.ready.is_set():
                self.stopping.set()  # at start-up: give up, quietly (the worker said why)
                return
            log.warning(
                "worker %d exited (%s); restarting in %.0f s",
                worker.index,
                describe(status),
                BACKOFF,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), BACKOFF)

    async def _run_once(self, worker: Worker) -> int:
        restart = worker.ready.is_set()
        process = await asyncio.create_subprocess_exec(
            *self._argv(worker),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            pass_fds=(worker.sock.fileno(),),
            process_group=0,
        )
        worker.process = process
        if self.stopping.is_set():  # the stop signal came while it was being started
            process.send_signal(signal.SIGTERM)
        if restart:  # the first start is logged with the ready line
            log.info("worker %d started pid=%d", worker.index, process.pid)
        assert process.stdout is not None
        async for raw in process.stdout:
            words = raw.decode("utf-8", "replace").split()
            if words and words[0] == "ready":
                worker.listeners = words[1:]
                worker.ready.set()
                if restart:
                    log.info("worker %d restarted and serving", worker.index)
        return await process.wait()

    def _argv(self, worker: Worker) -> list[str]:
        argv = [sys.executable, "-m", "sipwarden", "run", *self.plan.flags]
        for spec in self.plan.listen:
            argv += ["--listen", spec]
        argv += ["--workers", str(self.count), "--worker", str(worker.index)]
        argv += ["--handoff", format_ports(self.ports)]
        argv += ["--handoff-fd", str(worker.sock.fileno())]
        return argv


def describe(status: int) -> str:
    """An exit status as people read it: `exit status 1`, `killed by SIGKILL`."""
    if status < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"


def supervise(plan: Plan, count: int) -> int:
    """Run `count` workers until SIGTERM/SIGINT; 0 after a clean stop, 1 when one cannot start."""
    return asyncio.run(Supervisor(plan, count).run())
