"""`Shield`: the one object the server asks before and while it handles a request.

How this works: the server calls `check_request` for every request before any processing; a
DROP verdict means no reply at all (a reply would amplify a flood or confirm a target). It
reports what it learns (`auth_failed`, `auth_succeeded`, `unknown_user`) and asks before it
places a call (`call_attempt`, then `call_started`/`call_ended`). Every decision is a
`SecurityEvent` queued for `next_event()`; bans and locks expire through `next_deadline()` and
`on_timeout(now)` (and lazily at any call, so an expired ban never blocks). `now` is wall-clock
seconds (bans are persisted and compared across restarts).

Memory is bounded: at most `max_tracked` addresses and `max_tracked` accounts have counters
(least recently used evicted first), each counter holds at most its threshold + 1 entries, at
most `max_bans` bans are held (the one expiring first is evicted, with an "unban" event) and
at most `max_events` undrained drop events (further ones only counted).
"""

from __future__ import annotations

import ipaddress
from collections import Counter, deque

from sipwarden.errors import LocalError
from sipwarden.security.blocklist import Blocklist
from sipwarden.security.config import SecurityConfig
from sipwarden.security.events import (
    ALLOW,
    Action,
    Ban,
    BanChange,
    EventKind,
    Lock,
    SecurityEvent,
    Verdict,
)
from sipwarden.security.fraud import FraudGuard
from sipwarden.security.sources import Source, method_class
from sipwarden.security.windows import Lru, SlidingLog
from sipwarden.sip import hosts

MAX_DETAIL = 200  # characters of a peer-supplied value (User-Agent) kept in an event


class ShieldError(LocalError):
    """An admin request the shield refuses (an invalid address, an exempt address)."""


def canonical_ip(ip: str) -> str:
    """The canonical text of an IP address (a non-address is kept as given).

    Called for every request: `hosts.canonical_ip` gives `str(ipaddress.ip_address(...))`
    without parsing IPv4 octets in Python (sip/hosts.py says why that is the same answer)."""
    canonical = hosts.canonical_ip(ip.strip("[]"))
    return ip if canonical is None else canonical


class Shield:
    """Floods, scanners, brute force and toll fraud; see docs/security.md."""

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config
        self._events: deque[SecurityEvent] = deque()
        self.counts: Counter[str] = Counter()  # "kind.reason" -> decisions made
        self.events_lost = 0
        self._bans: Blocklist[Ban] = Blocklist(config.max_bans)
        self._locks: Blocklist[Lock] = Blocklist(config.max_tracked)
        self._offences: Lru[str, list[float]] = Lru(config.max_tracked, lambda: [0.0, 0.0])
        self._sources: Lru[str, Source] = Lru(config.max_tracked, lambda: Source(config))
        bf = config.brute_force
        self._accounts: Lru[str, SlidingLog] = Lru(
            config.max_tracked, lambda: SlidingLog(bf.account_failures, bf.account_window)
        )
        self._fraud = FraudGuard(config.fraud, config.max_tracked)

    # ----- requests ------------------------------------------------------------------------
    def check_request(
        self,
        source_ip: str,
        method: str,
        user_agent: str | None,
        now: float,
        *,
        target: str | None = None,
    ) -> Verdict:
        """ALLOW, or DROP (silently) a request from a banned address, a scanner User-Agent, a
        flood or an OPTIONS sweep. `target` is the Request-URI (counts OPTIONS sweeps)."""
        self._expire(now)
        if not self.config.enabled:
            return ALLOW  # (before canonical_ip: the server runs this for every request)
        ip = canonical_ip(source_ip)
        if self.config.exempt(ip):
            return ALLOW
        ban = self._bans.get(ip)
        if ban is not None:
            return self._drop(ip, now, "banned", f"ban: {ban.reason}", _until(ban))
        agent = self.config.scanner.scanner_agent(user_agent) if user_agent else None
        if agent is not None:
            rule = f"scanner.user_agents: {agent!r}"
            return self._ban_drop(ip, now, "scanner_user_agent", rule, user_agent or "")
        return self._counted(ip, method, now, target)

    def _counted(self, ip: str, method: str, now: float, target: str | None) -> Verdict:
        source = self._sources.get(ip)
        kind = method_class(method)
        limit = self.config.flood.limit(kind)
        if source.request(kind, now) > limit:
            rule = f"flood.{kind}: more than {limit} in {self.config.flood.window:g} s"
            return self._ban_drop(ip, now, "flood", rule, method)
        if kind == "options" and target:
            needed = self.config.scanner.options_targets
            if source.options_target(target, now) >= needed:
                window = self.config.scanner.options_window
                rule = f"scanner.options_sweep: {needed} targets in {window:g} s"
                return self._ban_drop(ip, now, "scanner_options_sweep", rule, target)
        return ALLOW

    def _drop(self, ip: str, now: float, reason: str, rule: str, detail: str) -> Verdict:
        self._emit(SecurityEvent(now, EventKind.DROP, reason, ip, None, rule, detail))
        return Verdict(Action.DROP, reason, rule)

    def _ban_drop(self, ip: str, now: float, reason: str, rule: str, detail: str) -> Verdict:
        self._auto_ban(ip, self.config.bans.seconds, reason, rule, now)
        return self._drop(ip, now, reason, rule, detail[:MAX_DETAIL])

    # ----- authentication and unknown users ------------------------------------------------
    def auth_failed(self, source_ip: str, account: str, reason: str, now: float) -> None:
        """A failed authentication (credentials given and wrong, or for an unknown account)."""
        self._expire(now)
        if not self.config.enabled:
            return
        ip = canonical_ip(source_ip)
        bf = self.config.brute_force
        if self._countable(ip) and self._sources.get(ip).auth_failed(now) >= bf.address_failures:
            rule = f"bruteforce.address: {bf.address_failures} failures in {bf.address_window:g} s"
            self._auto_ban(ip, bf.address_ban_seconds, "bruteforce", rule, now, reason)
        counted = self._accounts.get(account).add(now)
        if counted >= bf.account_failures and self._locks.get(account) is None:
            self._auto_lock(account, ip, reason, now)

    def auth_succeeded(self, source_ip: str, account: str, now: float) -> None:
        """A successful authentication: the address's failure count starts again from zero
        (the account's does not: a distributed guesser cannot reset it by logging in)."""
        self._expire(now)
        source = self._sources.peek(canonical_ip(source_ip))
        if source is not None and source.failures is not None:
            source.failures.clear()

    def account_locked(self, account: str, now: float) -> bool:
        """Whether `account` is locked: the server then answers exactly as for a wrong
        password (the same 401/407 challenge), so a lock tells the guesser nothing."""
        self._expire(now)
        return self.config.enabled and self._locks.get(account) is not None

    def unknown_user(self, source_ip: str, user: str, now: float) -> None:
        """A request for a user that does not exist (scanner behaviour: extension probing)."""
        self._expire(now)
        ip = canonical_ip(source_ip)
        if not self.config.enabled or not self._countable(ip):
            return
        sc = self.config.scanner
        if self._sources.get(ip).unknown_user(user, now) >= sc.unknown_users:
            rule = f"scanner.unknown_users: {sc.unknown_users} in {sc.unknown_users_window:g} s"
            self._auto_ban(ip, self.config.bans.seconds, "scanner_unknown_users", rule, now, user)

    def _countable(self, ip: str) -> bool:
        return not self.config.exempt(ip) and self._bans.get(ip) is None

    # ----- calls ---------------------------------------------------------------------------
    def call_attempt(self, account: str, destination_user: str, now: float) -> Verdict:
        """ALLOW, or REJECT (403 with `phrase`) a call by `account` to `destination_user`."""
        self._expire(now)
        if not self.config.enabled:
            return ALLOW
        attempt = self._fraud.attempt(account, destination_user, now)
        for reason, rule in attempt.alerts:
            event = SecurityEvent(now, EventKind.FRAUD_ALERT, reason, None, account, rule)
            self._emit(event)
        verdict = attempt.verdict
        if not verdict.allowed:
            kind = EventKind.REJECT
            self._emit(SecurityEvent(now, kind, verdict.reason, None, account, verdict.rule,
                                     destination_user[:MAX_DETAIL]))  # fmt: skip
        return verdict

    def call_started(self, account: str, call_id: str, now: float) -> None:
        """A call allowed by `call_attempt` was forwarded: it counts as concurrent."""
        self._fraud.started(account, call_id, now)

    def call_ended(self, account: str, call_id: str, now: float) -> None:
        """The call failed, was cancelled or ended (BYE): it no longer counts."""
        self._fraud.ended(account, call_id)

    def active_calls(self, account: str) -> int:
        return self._fraud.active(account)

    # ----- bans and locks ------------------------------------------------------------------
    def _remembered(self, ip: str, now: float) -> list[float]:
        record = self._offences.get(ip)
        if record[0] and now - record[1] >= self.config.bans.offence_memory:
            record[0] = 0.0
        return record

    def _auto_ban(
        self, ip: str, base: float, reason: str, rule: str, now: float, detail: str = ""
    ) -> None:
        record = self._remembered(ip, now)
        record[0] += 1
        record[1] = now
        offences = int(record[0])
        seconds = self.config.bans.duration(base, offences)
        note = f"{seconds:g} s, offence {offences}" + (f"; {detail[:MAX_DETAIL]}" if detail else "")
        self._put_ban(Ban(ip, now, now + seconds, reason, offences), rule, note, now)

    def _put_ban(self, ban: Ban, rule: str, detail: str, now: float) -> None:
        evicted = self._bans.put(ban.ip, ban)
        source = self._sources.pop(ban.ip)
        if source is not None:
            source.reset()
        self._emit(SecurityEvent(now, EventKind.BAN, ban.reason, ban.ip, None, rule, detail))
        if evicted is not None:
            self._emit(SecurityEvent(now, EventKind.UNBAN, "evicted", evicted.ip, None,
                                     f"max_bans: {self.config.max_bans}"))  # fmt: skip

    def ban(
        self, ip: str, seconds: float | None, reason: str, now: float, by: str = "admin"
    ) -> Ban:
        """Ban `ip` for `seconds` (None: until lifted). Admin bans do not escalate."""
        self._expire(now)
        address = self._admin_address(ip)
        if seconds is not None and seconds <= 0:
            raise ShieldError(f"a ban lasts more than 0 seconds, not {seconds:g}")
        offences = int(self._remembered(address, now)[0])
        until = None if seconds is None else now + seconds
        ban = Ban(address, now, until, reason or "admin", offences, by)
        self._put_ban(ban, f"bans.add by {by}", _until(ban), now)
        return ban

    def _admin_address(self, ip: str) -> str:
        address = canonical_ip(ip)
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ShieldError(f"{ip!r} is not an IP address") from None
        if self.config.exempt(address):
            raise ShieldError(f"{address} is allow-listed or a trusted peer: it cannot be banned")
        return address

    def lift(self, ip: str, now: float, by: str = "admin") -> Ban | None:
        """Lift the ban of `ip` (and forget its offences); the ban lifted, or None."""
        self._expire(now)
        address = canonical_ip(ip)
        ban = self._bans.remove(address)
        self._offences.pop(address)
        if ban is not None:
            self._emit(SecurityEvent(now, EventKind.UNBAN, "lifted", address, None,
                                     f"bans.remove by {by}", f"was: {ban.reason}"))  # fmt: skip
        return ban

    def bans(self, now: float) -> list[Ban]:
        """The active bans, oldest first."""
        self._expire(now)
        return sorted(self._bans.all(), key=lambda ban: (ban.since, ban.ip))

    def ban_of(self, ip: str, now: float) -> Ban | None:
        """The active ban of `ip` (to persist after a `ban` event), or None."""
        self._expire(now)
        return self._bans.get(canonical_ip(ip))

    def lock_of(self, account: str, now: float) -> Lock | None:
        """The active lock of `account` (to persist after a `lock` event), or None."""
        self._expire(now)
        return self._locks.get(account)

    def _auto_lock(self, account: str, ip: str, reason: str, now: float) -> None:
        bf = self.config.brute_force
        lock = Lock(account, now, now + bf.lock_seconds, "bruteforce_account")
        self._accounts.pop(account)
        rule = f"bruteforce.account: {bf.account_failures} failures in {bf.account_window:g} s"
        self._put_lock(lock, ip, rule, f"{bf.lock_seconds:g} s; last: {reason}", now)

    def _put_lock(self, lock: Lock, ip: str | None, rule: str, detail: str, now: float) -> None:
        evicted = self._locks.put(lock.account, lock)
        self._emit(SecurityEvent(now, EventKind.LOCK, lock.reason, ip, lock.account, rule, detail))
        if evicted is not None:
            self._emit(SecurityEvent(now, EventKind.UNLOCK, "evicted", None, evicted.account))

    def lock(
        self, account: str, seconds: float | None, reason: str, now: float, by: str = "admin"
    ) -> Lock:
        """Lock `account` for `seconds` (None: until unlocked)."""
        self._expire(now)
        until = None if seconds is None else now + seconds
        lock = Lock(account, now, until, reason or "admin", by)
        self._put_lock(lock, None, f"locks.add by {by}", _until(lock), now)
        return lock

    def unlock(self, account: str, now: float, by: str = "admin") -> Lock | None:
        self._expire(now)
        lock = self._locks.remove(account)
        if lock is not None:
            self._emit(SecurityEvent(now, EventKind.UNLOCK, "lifted", None, account,
                                     f"locks.remove by {by}"))  # fmt: skip
        return lock

    def locks(self, now: float) -> list[Lock]:
        self._expire(now)
        return sorted(self._locks.all(), key=lambda lock: (lock.since, lock.account))

    def restore(
        self, bans: list[Ban], now: float, locks: list[Lock] | tuple[Lock, ...] = ()
    ) -> int:
        """Load persisted bans and locks at start-up, silently (no events: nothing was
        decided). Expired ones and bans of exempt addresses are skipped; returns how many
        were restored."""
        restored = 0
        for ban in bans:
            ip = canonical_ip(ban.ip)
            if ban.active(now) and not self.config.exempt(ip):
                self._bans.put(ip, ban)
                self._offences.get(ip)[:] = [float(ban.offences), ban.since]
                restored += 1
        for lock in locks:
            if lock.active(now):
                self._locks.put(lock.account, lock)
                restored += 1
        return restored

    def apply_change(self, change: BanChange, now: float) -> bool:
        """Apply an admin change read from the store (`BanStore.changes`): ban or lift, with
        the events that go with it. False when it does not apply (an expired ban, an exempt
        or invalid address, a lift of an address not banned)."""
        ban = change.ban
        if ban is None:
            return self.lift(change.ip, now, by=change.by) is not None
        if not ban.active(now):
            return False
        seconds = None if ban.until is None else ban.until - now
        try:
            self.ban(change.ip, seconds, ban.reason, now, by=change.by)
        except ShieldError:
            return False
        return True

    # ----- time and events -----------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When the next ban or lock expires (None: none is timed)."""
        deadlines = [d for d in (self._bans.next_deadline(), self._locks.next_deadline()) if d]
        return min(deadlines) if deadlines else None

    def on_timeout(self, now: float) -> None:
        self._expire(now)

    def _expire(self, now: float) -> None:
        for ban in self._bans.expired(now):
            self._emit(SecurityEvent(now, EventKind.UNBAN, "expired", ban.ip, None,
                                     f"ban: {ban.reason}", f"since {ban.since:g}"))  # fmt: skip
        for lock in self._locks.expired(now):
            self._emit(SecurityEvent(now, EventKind.UNLOCK, "expired", None, lock.account,
                                     f"lock: {lock.reason}"))  # fmt: skip

    def _emit(self, event: SecurityEvent) -> None:
        self.counts[f"{event.kind.value}.{event.reason}"] += 1
        room = self.config.max_events * (1 if event.kind is EventKind.DROP else 2)
        if len(self._events) >= room:
            self.events_lost += 1
            return
        self._events.append(event)

    def next_event(self) -> SecurityEvent | None:
        return self._events.popleft() if self._events else None

    def snapshot(self) -> dict[str, int]:
        """Counts for metrics and the dashboard: decisions per `kind.reason`, bans and locks
        held, addresses and accounts tracked, events lost to the queue cap."""
        return {
            **self.counts,
            "bans": len(self._bans),
            "locks": len(self._locks),
            "tracked_addresses": len(self._sources),
            "tracked_accounts": len(self._accounts),
            "events_lost": self.events_lost,
        }


def _until(record: Ban | Lock) -> str:
    return "permanent" if record.until is None else f"until {record.until:g}"
