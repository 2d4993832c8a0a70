"""The NonceCountStore on Redis: a nonce used on one node is a replay on every other.

How this works: one key per nonce, `P nc:<nonce>`, holding the highest nc seen, with a TTL of
the nonce's remaining lifetime (`expires - now`), so Redis forgets expired nonces by itself and
no sweep is needed. `advance` is one Lua script (compare, then set with the TTL), atomic across
nodes: of two nodes racing with the same nc exactly one gets True (RFC 7616 §3.4 "nc").
"""

from __future__ import annotations

import math

from redis.asyncio import Redis

from sipwarden.storage.redis_client import DEFAULT_PREFIX, guarded

# KEYS: the nonce's key. ARGV: nc, TTL in ms. 1 when nc is greater than the stored one.
_ADVANCE = """
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
local nc = tonumber(ARGV[1])
if nc <= seen then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


class RedisNonceCounts:
    """NonceCountStore on a caller-owned Redis client; StoreUnavailable when Redis is down."""

    def __init__(self, client: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._prefix = prefix
        self._advance = client.register_script(_ADVANCE)

    async def advance(self, nonce: str, nc: int, expires: float, now: float) -> bool:
        if expires <= now:
            return False
        ttl_ms = max(1, math.ceil((expires - now) * 1000))
        async with guarded():
            done = await self._advance(keys=[f"{self._prefix}nc:{nonce}"], args=[nc, ttl_ms])
        return int(done) == 1
