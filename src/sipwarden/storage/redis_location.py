"""The LocationStore on Redis, shared by every node of a cluster (docs/cluster.md).

How this works, with P the key prefix:
- `P loc:b:<aor>` is a hash: contact -> the binding as JSON. Its TTL is set, on every write, to
  the latest binding's remaining time plus `grace`, so bindings nobody sweeps still vanish.
- `P loc:exp` is a sorted set of every binding, scored by `expires_at`; its members are
  `<byte length of aor>:<aor><contact>`, which both Python and Lua can build and split.
- `P loc:aors` is a sorted set of the AoRs (all scored 0) for the admin listing by prefix
  (ZRANGEBYLEX: UTF-8 byte order is Python's str order).
`update` runs WATCH on the AoR's hash, reads, calls `change` in Python, and commits the new set
with MULTI/EXEC; when another node touched the hash meanwhile EXEC fails and the whole step is
retried (the reason `change` must be pure). `expire` and `remove` are Lua scripts, so two nodes
sweeping at once never both report one binding. Times are the callers' `now`, never Redis's
clock, except for the safety-net TTL, which is relative.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import WatchError

from sipwarden.location.binding import Binding, check_binding_set, sorted_bindings
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.redis_client import DEFAULT_PREFIX, UNAVAILABLE, guarded, text

T = TypeVar("T")
MAX_ATTEMPTS = 100  # optimistic tries of one update before giving up (contention is per AoR)
DEFAULT_GRACE = 300.0  # seconds a binding's key outlives its expiry (the sweeper's margin)

# KEYS: exp, aors. ARGV: prefix, now. Returns the expired bindings (JSON), oldest first.
_EXPIRE = """
local out = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
for _, member in ipairs(due) do
  local colon = string.find(member, ':', 1, true)
  local n = tonumber(string.sub(member, 1, colon - 1))
  local aor = string.sub(member, colon + 1, colon + n)
  local contact = string.sub(member, colon + n + 1)
  local key = ARGV[1] .. 'loc:b:' .. aor
  local value = redis.call('HGET', key, contact)
  if value then
    table.insert(out, value)
    redis.call('HDEL', key, contact)
  end
  redis.call('ZREM', KEYS[1], member)
  if redis.call('EXISTS', key) == 0 then
    redis.call('ZREM', KEYS[2], aor)
  end
end
return out
"""
# KEYS: hash, exp, aors. ARGV: aor, contact or nothing (the whole AoR). Returns the count.
_REMOVE = """
local contacts
if ARGV[2] then contacts = {ARGV[2]} else contacts = redis.call('HKEYS', KEYS[1]) end
local removed = 0
for _, contact in ipairs(contacts) do
  removed = removed + redis.call('HDEL', KEYS[1], contact)
  redis.call('ZREM', KEYS[2], string.len(ARGV[1]) .. ':' .. ARGV[1] .. contact)
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return removed
"""


def member(aor: str, contact: str) -> str:
    """The `loc:exp` member of a binding: `<UTF-8 length of aor>:<aor><contact>`."""
    return f"{len(aor.encode())}:{aor}{contact}"


def encode(b: Binding) -> str:
    return json.dumps(
        [b.aor, b.contact, b.expires_at, b.q, b.call_id, b.cseq, list(b.path), b.source,
         b.instance, b.reg_id, b.user_agent, b.registered_at],
        ensure_ascii=False, separators=(",", ":"),
    )  # fmt: skip


def decode(text: str) -> Binding:
    aor, contact, expires_at, q, call_id, cseq, path, source, instance, reg_id, agent, since = (
        json.loads(text)
    )
    return Binding(aor, contact, float(expires_at), None if q is None else float(q), call_id,
                   cseq, tuple(path), source, instance, reg_id, agent, float(since))  # fmt: skip


class RedisLocationStore:
    """Bindings in Redis (see `LocationStore` for the contract and this module for the keys).

    The client belongs to the caller (one per node, `storage.redis_client.connect_redis`);
    `close()` leaves it open. Every method raises StoreUnavailable when Redis cannot be reached.
    """

    def __init__(
        self, client: Redis, prefix: str = DEFAULT_PREFIX, *, grace: float = DEFAULT_GRACE
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._exp = f"{prefix}loc:exp"
        self._aors = f"{prefix}loc:aors"
        self._grace = grace
        self._expire = client.register_script(_EXPIRE)
        self._remove = client.register_script(_REMOVE)

    def _key(self, aor: str) -> str:
        return f"{self._prefix}loc:b:{aor}"

    async def lookup(self, aor: str, now: float) -> list[Binding]:
        async with guarded():
            stored = await self._redis.hvals(self._key(aor))
        return _unexpired((decode(text(value)) for value in stored), now)

    async def update(
        self,
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> T:
        key = self._key(aor)
        async with guarded(), self._redis.pipeline(transaction=True) as pipe:
            for attempt in range(MAX_ATTEMPTS):
                try:
                    return await self._attempt(pipe, key, aor, change, now)
                except WatchError as exc:
                    if isinstance(exc.__context__, UNAVAILABLE):
                        # The connection died: EXEC may or may not have run, so running
                        # `change` again could apply it twice. Report instead (503).
                        raise StoreUnavailable("redis", str(exc.__context__)) from exc
                    # Another node wrote the AoR first: wait a random moment (so the
                    # writers stop colliding in step), then read again.
                    await pipe.reset()  # type: ignore[no-untyped-call]
                    await asyncio.sleep(random.random() * min(0.05, 0.001 * 2**attempt))
        detail = f"{MAX_ATTEMPTS} conflicting writes in a row on {aor!r}"
        raise StoreUnavailable("redis", detail, retry_after=1)

    async def _attempt(
        self,
        pipe: Any,
        key: str,
        aor: str,
        change: Callable[[list[Binding]], tuple[T, list[Binding]]],
        now: float,
    ) -> T:
        await pipe.watch(key)
        stored = [decode(text(value)) for value in await pipe.hvals(key)]
        current = _unexpired(stored, now)
        result, new = change(current)
        check_binding_set(aor, new)
        if new == current and len(stored) == len(current):
            await pipe.unwatch()
            return result
        pipe.multi()
        pipe.delete(key)
        if stored:
            pipe.zrem(self._exp, *(member(aor, b.contact) for b in stored))
        if new:
            pipe.hset(key, mapping={b.contact: encode(b) for b in new})
            pipe.pexpire(key, self._ttl_ms(new, now))
            pipe.zadd(self._exp, {member(aor, b.contact): b.expires_at for b in new})
            pipe.zadd(self._aors, {aor: 0})
        else:
            pipe.zrem(self._aors, aor)
        await pipe.execute()
        return result

    def _ttl_ms(self, bindings: list[Binding], now: float) -> int:
        latest = max(b.expires_at for b in bindings)
        return max(1, math.ceil((latest - now + self._grace) * 1000))

    async def expire(self, now: float) -> list[Binding]:
        async with guarded():
            gone = await self._expire(keys=[self._exp, self._aors], args=[self._prefix, now])
        return sorted(
            (decode(value) for value in gone), key=lambda b: (b.expires_at, b.aor, b.contact)
        )

    async def next_expiry(self) -> float | None:
        async with guarded():
            first = await self._redis.zrange(self._exp, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def all(self, now: float, limit: int = 1000, prefix: str = "") -> list[Binding]:
        found: list[Binding] = []
        if limit <= 0:
            return found
        low = f"[{prefix}".encode() if prefix else b"-"
        high = f"({prefix}".encode() + b"\xff" if prefix else b"+"
        async with guarded():
            aors = [text(aor) for aor in await self._redis.zrangebylex(self._aors, low, high)]
            for start in range(0, len(aors), 100):
                found.extend(await self._bindings_of(aors[start : start + 100], now))
                if len(found) >= limit:
                    break
        return found[:limit]

    async def _bindings_of(self, aors: list[str], now: float) -> list[Binding]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for aor in aors:
                pipe.hvals(self._key(aor))
            sets: list[list[str]] = await pipe.execute()
        return [b for stored in sets for b in _unexpired((decode(v) for v in stored), now)]

    async def remove(self, aor: str, contact: str | None = None) -> int:
        args = [aor] if contact is None else [aor, contact]
        async with guarded():
            removed = await self._remove(keys=[self._key(aor), self._exp, self._aors], args=args)
        return int(removed)

    async def count(self, now: float) -> int:
        async with guarded():
            return int(await self._redis.zcount(self._exp, f"({now!r}", "+inf"))

    async def close(self) -> None:
        """Nothing to release: the client is the caller's."""


def _unexpired(bindings: Iterable[Binding], now: float) -> list[Binding]:
    return sorted_bindings(b for b in bindings if not b.expired(now))
