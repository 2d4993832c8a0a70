"""The BanStore on Redis: bans and account locks shared by the nodes of a cluster.

How this works, with P the key prefix:
- `P ban:<ip>` and `P lock:<account>` hold a ban or a lock as JSON, with a TTL of its duration
  (`until - since`) plus `grace`, so Redis drops old ones by itself; `P bans` and `P locks` are
  sets of the addresses and accounts, pruned when `load` finds a member whose key is gone.
- The change log is the sorted set `P ban:log`, scored by `seq` (from the counter `P ban:seq`),
  each member `<seq>:<the change as JSON>`. `admin_ban`/`admin_lift` are Lua scripts that
  change the ban, bump the counter and append in one step, and prune entries older than
  CHANGE_MEMORY. Every node polls `changes(after)` (one ZRANGEBYSCORE) and so applies a ban
  made anywhere within its poll interval.
`save`/`delete` (the shield's own bans) do not write the log: a node that logged the bans it
applies from the log would echo them forever. To spread the shield's bans, the server logs
them with `admin_ban` for the bans its own shield decides (docs/cluster.md).
"""

from __future__ import annotations

import json
from typing import Any, cast

from redis.asyncio import Redis

from sipwarden.security.events import Ban, BanChange, Lock
from sipwarden.security.store import CHANGE_MEMORY
from sipwarden.storage.redis_client import DEFAULT_PREFIX, guarded, text

DEFAULT_GRACE = 86400.0  # seconds a stored ban outlives its end (Shield.restore skips it)

# KEYS: the ban key, the bans set, seq, log. ARGV: ip, ban JSON or '', TTL ms or '0',
# at, by, cutoff, the log entry (JSON). Returns the new seq, or 0 when a lift found no ban.
_ADMIN = """
if ARGV[2] == '' then
  if redis.call('DEL', KEYS[1]) == 0 then return 0 end
  redis.call('SREM', KEYS[2], ARGV[1])
else
  if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2])
  else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
  redis.call('SADD', KEYS[2], ARGV[1])
end
while true do
  local first = redis.call('ZRANGE', KEYS[4], 0, 0)
  if #first == 0 then break end
  local colon = string.find(first[1], ':', 1, true)
  if cjson.decode(string.sub(first[1], colon + 1)).at >= tonumber(ARGV[6]) then break end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, 0)
end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[4], seq, seq .. ':' .. ARGV[7])
return seq
"""


def _ban_json(ban: Ban) -> str:
    return json.dumps([ban.ip, ban.since, ban.until, ban.reason, ban.offences, ban.by])


def _lock_json(lock: Lock) -> str:
    return json.dumps([lock.account, lock.since, lock.until, lock.reason, lock.by])


def _ban(data: str) -> Ban:
    ip, since, until, reason, offences, by = json.loads(data)
    return Ban(ip, float(since), None if until is None else float(until), reason, offences, by)


def _lock(data: str) -> Lock:
    account, since, until, reason, by = json.loads(data)
    return Lock(account, float(since), None if until is None else float(until), reason, by)


def _change(entry: str) -> BanChange:
    seq, _, body = entry.partition(":")
    data: dict[str, Any] = json.loads(body)
    ban = None if data["ban"] is None else _ban(data["ban"])
    return BanChange(int(seq), float(data["at"]), data["ip"], ban, data["by"])


class RedisBanStore:
    """BanStore on a caller-owned Redis client; StoreUnavailable when Redis is down."""

    def __init__(
        self, client: Redis, prefix: str = DEFAULT_PREFIX, *, grace: float = DEFAULT_GRACE
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._grace = grace
        self._bans = f"{prefix}bans"
        self._locks = f"{prefix}locks"
        self._seq = f"{prefix}ban:seq"
        self._log = f"{prefix}ban:log"
        self._admin = client.register_script(_ADMIN)

    def _ttl_ms(self, since: float, until: float | None) -> int:
        """0 (no TTL) for a ban without end, else its duration plus the grace, in ms."""
        return 0 if until is None else max(1, int((until - since + self._grace) * 1000))

    async def load(self) -> list[Ban]:
        found = await self._load(self._bans, "ban:")
        return sorted((_ban(data) for data in found), key=lambda ban: (ban.since, ban.ip))

    async def load_locks(self) -> list[Lock]:
        found = await self._load(self._locks, "lock:")
        return sorted((_lock(data) for data in found), key=lambda lock: (lock.since, lock.account))

    async def _load(self, index: str, kind: str) -> list[str]:
        async with guarded():
            names = sorted(text(name) for name in await self._redis.smembers(index))
            if not names:
                return []
            values = await self._redis.mget([f"{self._prefix}{kind}{name}" for name in names])
            gone = [name for name, value in zip(names, values) if value is None]
            if gone:
                await self._redis.srem(index, *gone)
        return [text(value) for value in values if value is not None]

    async def save(self, ban: Ban) -> None:
        await self._put(self._bans, f"ban:{ban.ip}", ban.ip, _ban_json(ban), ban.since, ban.until)

    async def save_lock(self, lock: Lock) -> None:
        text = _lock_json(lock)
        await self._put(self._locks, f"lock:{lock.account}", lock.account, text, lock.since,
                        lock.until)  # fmt: skip

    async def _put(
        self, index: str, kind: str, name: str, text: str, since: float, until: float | None
    ) -> None:
        ttl = self._ttl_ms(since, until)
        async with guarded(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._prefix}{kind}", text, px=ttl or None)
            pipe.sadd(index, name)
            await pipe.execute()

    async def delete(self, ip: str) -> None:
        await self._drop(self._bans, f"ban:{ip}", ip)

    async def delete_lock(self, account: str) -> None:
        await self._drop(self._locks, f"lock:{account}", account)

    async def _drop(self, index: str, kind: str, name: str) -> None:
        async with guarded(), self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{self._prefix}{kind}")
            pipe.srem(index, name)
            await pipe.execute()

    async def admin_ban(self, ban: Ban, now: float) -> None:
        await self._log_change(ban.ip, ban, ban.by, now)

    async def admin_lift(self, ip: str, by: str, now: float) -> bool:
        return await self._log_change(ip, None, by, now) > 0

    async def _log_change(self, ip: str, ban: Ban | None, by: str, now: float) -> int:
        body = "" if ban is None else _ban_json(ban)
        ttl = 0 if ban is None else self._ttl_ms(ban.since, ban.until)
        entry = json.dumps({"at": now, "ip": ip, "ban": body or None, "by": by})
        keys = [f"{self._prefix}ban:{ip}", self._bans, self._seq, self._log]
        args: list[str | float] = [ip, body, ttl, now, by, now - CHANGE_MEMORY, entry]
        async with guarded():
            return int(await self._admin(keys=keys, args=args))

    async def changes(self, after: int) -> list[BanChange]:
        async with guarded():
            entries = await self._redis.zrangebyscore(self._log, f"({after}", "+inf")
        return [_change(text(cast(str, entry))) for entry in entries]

    async def last_change(self) -> int:
        async with guarded():
            seq = await self._redis.get(self._seq)
        return int(seq or 0)
