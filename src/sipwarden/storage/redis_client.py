"""The Redis connection shared by the state stores of one node (docs/cluster.md).

How this works: one `redis.asyncio.Redis` client (a connection pool) per node, opened from a
`redis://host:port/db` URL; every store takes it plus a key prefix (`sipwarden:` by default, a
unique one per test). Socket timeouts bound each command; a dropped connection is retried a
few times with exponential backoff (the pool reconnects on its own), and when Redis still does
not answer the store raises `StoreUnavailable` (`guarded`). The next call tries again, so a
node recovers by itself once Redis is back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sipwarden.storage.errors import StoreUnavailable

DEFAULT_PREFIX = "sipwarden:"
COMMAND_TIMEOUT = 2.0  # seconds per command (and per connect attempt)
RETRIES = 3  # after the first try, with backoff 0.05, 0.1, 0.2 s (capped at 1 s)
MAX_CONNECTIONS = 64  # per node; Redis serves them all from one thread anyway
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, TimeoutError, OSError)


def connect_redis(
    url: str,
    *,
    timeout: float = COMMAND_TIMEOUT,
    retries: int = RETRIES,
    max_connections: int = MAX_CONNECTIONS,
) -> Redis:
    """A client for `url` (no I/O yet: the first command connects). Strings come back decoded.

    At most `max_connections` connections: a burst of calls queues for a free one (up to
    `timeout` seconds) instead of opening thousands of sockets or failing at once.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, TimeoutError],
        health_check_interval=15,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


@asynccontextmanager
async def guarded() -> AsyncIterator[None]:
    """Turn a Redis connection failure raised inside into StoreUnavailable."""
    try:
        yield
    except UNAVAILABLE as exc:
        raise StoreUnavailable("redis", str(exc) or type(exc).__name__) from exc


async def ping(client: Redis) -> None:
    """StoreUnavailable unless Redis answers (start-up check, health probe)."""
    async with guarded():
        await client.ping()


def text(value: bytes | str) -> str:
    """A reply as str (the client decodes replies; its type hints also allow bytes)."""
    return value.decode() if isinstance(value, bytes) else value
