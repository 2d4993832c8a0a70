"""Fixtures of the cluster tests against the real Redis and PostgreSQL of this machine and CI.

Each test gets a unique Redis key prefix (its keys deleted afterwards) and its own PostgreSQL
schema (dropped afterwards; the nodes reach it through `?search_path=` in the storage URL). A
test is skipped, saying why, only when a service does not answer; SIPWARDEN_TEST_REDIS and
SIPWARDEN_TEST_POSTGRES point elsewhere. `own_redis` is a redis-server of the test's own (AOF,
fsync always, nothing else on disk) that the test may kill and restart.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration import services
from tests.integration.server.process import free_port

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def storage_url(postgres_url: str) -> Iterator[str]:
    """The storage URL of a PostgreSQL schema of this test alone, dropped afterwards."""
    schema = f"sipwarden_cluster_{uuid.uuid4().hex[:16]}"
    asyncio.run(services.postgres(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}search_path={schema}"
    asyncio.run(services.postgres(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


@dataclass
class OwnRedis:
    """A redis-server on 127.0.0.1:`port` persisting to `directory` (AOF, fsync always)."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        assert REDIS_SERVER is not None
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--dir", str(self.directory), "--appendonly", "yes"]
        argv += ["--appendfsync", "always", "--save", "", "--daemonize", "no"]
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while services.redis_problem(self.url) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: a crash, not a clean shutdown (only what was fsynced survives)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (needed to restart Redis mid-run)")
    directory = tmp_path / "redis"
    directory.mkdir()
    made = OwnRedis(free_port(), directory)
    made.start()
    try:
        yield made
    finally:
        made.kill()
