"""Cluster membership on Redis (the NodeRegistry of storage/nodes.py).

How this works, with P the key prefix: a heartbeat writes `P node:<name>` (the node's JSON)
with a TTL of FORGET seconds and scores `<name>` in the sorted set `P nodes` by its last
heartbeat, in one MULTI/EXEC; members older than FORGET are removed from the set at the same
time. `nodes(now)` reads the set and the keys in one round trip each; a name whose key has
expired (the node stopped a minute ago) is skipped. So a node that dies leaves the list by
itself, even when no other node runs.
"""

from __future__ import annotations

import builtins
from typing import Any

from redis.asyncio import Redis

from sipwarden.storage.nodes import DEFAULT_TTL, FORGET, NodeInfo, seen
from sipwarden.storage.redis_client import DEFAULT_PREFIX, guarded, text


class RedisNodeRegistry:
    """The nodes sharing one Redis database and prefix."""

    def __init__(self, client: Redis, prefix: str = DEFAULT_PREFIX, *, ttl: float = DEFAULT_TTL):
        self._redis = client
        self._prefix = prefix
        self._index = f"{prefix}nodes"
        self.ttl = ttl

    def _key(self, name: str) -> str:
        return f"{self._prefix}node:{name}"

    async def heartbeat(self, node: NodeInfo, now: float) -> None:
        async with guarded(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(node.name), node.stored(), px=int(FORGET * 1000))
            pipe.zadd(self._index, {node.name: now})
            pipe.zremrangebyscore(self._index, "-inf", f"({now - FORGET}")
            pipe.expire(self._index, int(FORGET))
            await pipe.execute()

    async def nodes(self, now: float) -> builtins.list[NodeInfo]:
        async with guarded():
            scored: list[Any] = await self._redis.zrangebyscore(
                self._index, now - FORGET, "+inf", withscores=True
            )
            if not scored:
                return []
            names = sorted((text(name), float(score)) for name, score in scored)
            values = await self._redis.mget([self._key(name) for name, _ in names])
        found = []
        for (_, last_seen), value in zip(names, values, strict=True):
            if value is not None:
                node = NodeInfo.from_stored(text(value), last_seen, False)
                found.append(seen(node, last_seen, now, self.ttl))
        return found
