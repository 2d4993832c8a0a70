"""The real Redis and PostgreSQL of this machine and CI, for the store and cluster tests.

A test is skipped, saying why, only when a service does not answer; SIPWARDEN_TEST_REDIS and
SIPWARDEN_TEST_POSTGRES point elsewhere. The fixtures built on these (`redis_url`,
`postgres_url`, `prefix`) are in tests/integration/conftest.py.
"""

from __future__ import annotations

import os

import asyncpg
import redis

REDIS_URL = os.environ.get("SIPWARDEN_TEST_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get(
    "SIPWARDEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def redis_problem(url: str = REDIS_URL) -> str | None:
    """Why Redis at `url` cannot be used, or None when it answers a PING."""
    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis not reachable at {url}: {exc}"
    return None


async def postgres(sql: str | None = None, url: str = POSTGRES_URL) -> str | None:
    """Run `sql` (if any) on PostgreSQL at `url`; why it cannot be reached, or None."""
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {url}: {exc}"
    try:
        if sql is not None:
            await conn.execute(sql)
    finally:
        await conn.close()
    return None
