#!/usr/bin/env python3
"""REGISTER with digest per second through N `sipwarden run` nodes sharing Redis (state) and
PostgreSQL (accounts), SIPp as the phones (docs/cluster.md, "How far it scales").

Each node gets one SIPp of its own (as DNS SRV would spread the phones), closed loop: at most
`--concurrency` REGISTERs in flight per SIPp (REGISTER, 401, REGISTER with digest, 200), so
the rate is what the cluster completes, not what is offered. Prints the completed REGISTERs
per second and the CPU time per REGISTER of the sipwarden processes (workers included) and of
the Redis server (from INFO cpu: other clients of a shared Redis count too).

Usage: python benchmarks/cluster/run.py --nodes 3 [--workers 1] [--count 6000] [--users 600]
       [--concurrency 60] [--state redis://127.0.0.1:6379/0]
       [--storage postgresql://postgres@127.0.0.1:5432/test]
Needs: sipp, Redis and PostgreSQL. Uses a fresh PostgreSQL schema and Redis key prefix, both
removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.integration.server.process import free_port  # noqa: E402

SCENARIO = ROOT / "tests" / "integration" / "sipp" / "register_ok.xml"
CONFIG = """\
[state]
prefix = "{prefix}"

[security]
enabled = false  # SIPp sends everything from one address: the shield would take it for a flood

[admin]
enabled = false

[log]
level = "warning"
"""


async def add_users(url: str, schema: str, count: int) -> None:
    from sipwarden.storage.postgres import Database
    from sipwarden.users.postgres import PostgresUserStore

    conn = await asyncpg.connect(url)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    db = await Database.open(url, schema=schema)
    try:
        store = await PostgresUserStore.open(db)
        for i in range(count):
            await store.add(f"user{i:04d}", "127.0.0.1", f"pass{i:04d}")
    finally:
        await db.close()


async def drop_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.close()


def pids(pid: int) -> list[int]:
    """`pid` and its descendants (a node's supervisor and its workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in pids(int(child)))]


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    ticks = 0
    for process in processes:
        for pid in pids(process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def redis_cpu(url: str) -> float:
    with redis.Redis.from_url(url) as client:
        info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def sipp(
    inf: Path, node_port: int, count: int, concurrency: int, cwd: Path
) -> subprocess.Popen[str]:
    argv = ["sipp", "-sf", str(SCENARIO), "-inf", str(inf), "-t", "u1", "-i", "127.0.0.1"]
    argv += ["-p", str(free_port()), "-r", "100000", "-l", str(concurrency), "-m", str(count)]
    argv += ["-nostdin", "-timeout", "300s", f"127.0.0.1:{node_port}"]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd
    )


def counted(output: str, name: str) -> int:
    found = re.findall(rf"{name}\s+\|\s+\d+\s+\|\s+(\d+)", output)
    return int(found[-1]) if found else 0


def measure(args: argparse.Namespace, work: Path, storage: str, prefix: str) -> str:
    (work / "sipwarden.toml").write_text(CONFIG.format(prefix=prefix))
    key = os.urandom(32)  # one nonce key for every node
    nodes: list[subprocess.Popen[bytes]] = []
    ports = []
    try:
        for n in range(args.nodes):
            data = work / f"node{n + 1}"
            data.mkdir()
            (data / "nonce.key").write_bytes(key)
            port = free_port()
            ports.append(port)
            argv = [sys.executable, "-m", "sipwarden", "run", "--data-dir", str(data)]
            argv += ["--config", str(work / "sipwarden.toml"), "--state", args.state]
            argv += ["--storage", storage, "--listen", f"udp:127.0.0.1:{port}"]
            argv += ["--workers", str(args.workers)]
            with (work / f"node{n + 1}.log").open("wb") as log:
                nodes.append(subprocess.Popen(argv, stderr=log, cwd=work))
        time.sleep(4 + 2 * args.workers)  # start-up of every worker
        per = args.users // args.nodes
        cpu, cpu_redis = cpu_seconds(nodes), redis_cpu(args.state)
        started = time.monotonic()
        runs = []
        for n, port in enumerate(ports):
            inf = work / f"users{n + 1}.csv"
            rows = [
                f"user{i:04d};[authentication username=user{i:04d} password=pass{i:04d}];"
                "127.0.0.1;3600"
                for i in range(n * per, (n + 1) * per)
            ]
            inf.write_text("\n".join(["SEQUENTIAL", *rows]) + "\n")
            runs.append(sipp(inf, port, args.count // args.nodes, args.concurrency, work))
        ok = failed = 0
        for run in runs:
            output, _ = run.communicate(timeout=400)
            ok += counted(output, "Successful call")
            failed += counted(output, "Failed call")
        seconds = time.monotonic() - started
        cpu, cpu_redis = cpu_seconds(nodes) - cpu, redis_cpu(args.state) - cpu_redis
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            node.wait(timeout=20)
    per_register = 1e6 / max(ok, 1)
    return (
        f"nodes={args.nodes} workers={args.workers} registers={ok} failed={failed} "
        f"seconds={seconds:.1f} rate={ok / seconds:.0f}/s "
        f"sipwarden_cpu={cpu * per_register:.0f}us/REGISTER "
        f"redis_cpu={cpu_redis * per_register:.0f}us/REGISTER"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--count", type=int, default=6000, help="REGISTERs in all")
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=60, help="in flight per SIPp")
    parser.add_argument("--state", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--storage", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sipwarden-cluster-bench-"))
    schema, prefix = f"bench_{uuid.uuid4().hex[:12]}", f"bench-{uuid.uuid4().hex[:12]}:"
    separator = "&" if "?" in args.storage else "?"
    asyncio.run(add_users(args.storage, schema, args.users))
    try:
        print(measure(args, work, f"{args.storage}{separator}search_path={schema}", prefix))
    finally:
        asyncio.run(drop_schema(args.storage, schema))
        with redis.Redis.from_url(args.state) as client:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
