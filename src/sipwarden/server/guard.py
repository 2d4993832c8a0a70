"""The security shield in the running server: checks on the way in, events on the way out.

How this works: the pure `Shield` (sipwarden.security) decides; this adapter feeds it what the
server sees (every request's source and User-Agent, authentication outcomes, unknown users,
call attempts, starts and ends) with the wall clock, and carries out what it emits. Each
`SecurityEvent` is logged, published on the event bus (the dashboard and `/api/events`),
counted in the metrics, and, for bans and locks, written to the ban store so they survive a
restart. Bans and lifts decided here are also written to the store's change log, marked with
this node's name, and every node applies the others' entries each second (`poll`): a ban made
on one node of a cluster, or with `sipwarden bans add|remove`, holds on all of them within a
second (docs/cluster.md). Applying a change only saves it, so nodes never echo each other.
One timer follows the shield's next deadline (ban and lock expiry).

Brute force is counted twice: by the shield (this node's own failures, in memory) and, when
the state store has `counters`, cluster-wide: each failure is added to a shared counter per
source address and per account, in a task (a slow or absent store never delays the answer),
and a count reaching `[security] auth_failures` / `account_failures` within its window bans
the address (which then propagates like any ban) or locks the account on this node. So a
guesser who spreads wrong passwords over several nodes is banned as if they were one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from sipwarden.observe.events import Event, EventBus
from sipwarden.observe.metrics import Metrics
from sipwarden.security.events import Action, EventKind, SecurityEvent, Verdict
from sipwarden.security.fraud import RATE_WINDOW
from sipwarden.security.shield import Shield, canonical_ip
from sipwarden.security.store import BanStore
from sipwarden.sip import Request
from sipwarden.storage.counters import FailureCounter
from sipwarden.storage.errors import StoreUnavailable

log = logging.getLogger("sipwarden.security")


class Guard:
    """Runs the shield for the server (see the module docstring)."""

    def __init__(
        self,
        shield: Shield,
        store: BanStore,
        bus: EventBus,
        metrics: Metrics,
        wallclock: Callable[[], float],
        node: str = "",
        counters: FailureCounter | None = None,
    ) -> None:
        self.shield = shield
        self.store = store
        self.bus = bus
        self.metrics = metrics
        self.wallclock = wallclock
        self.node = node or f"{socket.gethostname()}:{os.getpid()}"
        self.counters = counters  # cluster-wide failure counts (None: this node's only)
        self._counters_down = False  # logged once per outage
        self._applying = False  # set while applying other nodes' changes: save, never log
        self._last_change = 0
        self._calls: dict[str, str] = {}  # Call-ID -> account, for call_ended on BYE
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Restore the bans and locks saved before a restart."""
        now = self.wallclock()
        restored = self.shield.restore(await self.store.load(), now, await self.store.load_locks())
        self._last_change = await self.store.last_change()
        if restored:
            log.info("restored %d bans", restored)
        self._rearm()

    async def poll(self) -> None:
        """Apply the ban changes other nodes and the `bans` CLI logged since the last poll
        (this node's own entries are skipped: they are in its shield already)."""
        for change in await self.store.changes(self._last_change):
            self._last_change = max(self._last_change, change.seq)
            if change.by.endswith(f"@{self.node}"):
                continue
            self._applying = True
            try:
                self.shield.apply_change(change, self.wallclock())
                self.pump()
            finally:
                self._applying = False
        self.pump()

    # ----- what the server sees --------------------------------------------------------------
    def admit(self, request: Request, source_ip: str) -> bool:
        """A request arrived from `source_ip`: False when it must be dropped silently."""
        shield = self.shield
        # A disabled shield reads no User-Agent (check_request then only lets bans lapse).
        agent = request.header("user-agent") if shield.config.enabled else None
        verdict = shield.check_request(
            source_ip, request.method, agent, self.wallclock(), target=request.uri_text
        )
        self.pump()
        return verdict.allowed

    def locked(self, account: str) -> bool:
        return self.shield.account_locked(account, self.wallclock())

    def auth_failed(self, source_ip: str, account: str, reason: str) -> None:
        now = self.wallclock()
        self.metrics.auth_failure(reason)
        self.shield.auth_failed(source_ip, account, reason, now)
        self.pump()
        if self.counters is not None and self.shield.config.enabled:
            self._spawn(self._count_shared(self.counters, source_ip, account, now))

    async def _count_shared(
        self, counters: FailureCounter, source_ip: str, account: str, now: float
    ) -> None:
        """Add a failure to the cluster-wide counts; ban or lock at the thresholds."""
        bf, ip = self.shield.config.brute_force, canonical_ip(source_ip)
        try:
            if not self.shield.config.exempt(ip) and self.shield.ban_of(ip, now) is None:
                failures = await counters.add(f"ip:{ip}", now, bf.address_window)
                if failures >= bf.address_failures and self.shield.ban_of(ip, now) is None:
                    self.shield.ban(ip, bf.address_ban_seconds, "bruteforce", now, by="cluster")
            failures = await counters.add(f"account:{account}", now, bf.account_window)
            if failures >= bf.account_failures and not self.shield.account_locked(account, now):
                self.shield.lock(account, bf.lock_seconds, "bruteforce_account", now, "cluster")
        except StoreUnavailable as exc:
            if not self._counters_down:
                log.warning("shared failure counters unavailable (this node counts alone): %s", exc)
            self._counters_down = True
            return
        finally:
            self.pump()
        if self._counters_down:
            log.info("shared failure counters back")
        self._counters_down = False

    def auth_succeeded(self, source_ip: str, account: str) -> None:
        self.shield.auth_succeeded(source_ip, account, self.wallclock())
        self.pump()

    def unknown_user(self, source_ip: str, user: str) -> None:
        self.shield.unknown_user(source_ip, user, self.wallclock())
        self.pump()

    def call_attempt(self, account: str, destination_user: str, call_id: str) -> Verdict:
        """A call from `account`: the fraud limits' verdict; an allowed call is counted as
        started until `call_ended`."""
        now = self.wallclock()
        verdict = self.shield.call_attempt(account, destination_user, now)
        if verdict.allowed:
            self.shield.call_started(account, call_id, now)
            self._calls[call_id] = account
        self.pump()
        return verdict

    async def cluster_call_rate(self, account: str, call_id: str) -> Verdict | None:
        """The call-attempt limit counted across every node sharing the state store (a burst
        spread over the nodes is refused by all of them, docs/cluster.md); None when allowed
        or when there is no shared store. A refused call no longer counts as started."""
        limit = self.shield.config.fraud.max_attempts_per_minute
        if self.counters is None or not self.shield.config.enabled:
            return None
        now = self.wallclock()
        try:
            attempts = await self.counters.add(f"calls:{account}", now, RATE_WINDOW)
        except StoreUnavailable:
            return None  # the node's own limit still holds
        if attempts <= limit:
            return None
        rule = f"fraud.max_call_attempts_per_minute (cluster): more than {limit} in 60 s"
        self.call_ended(call_id)
        self._observe(SecurityEvent(now, EventKind.REJECT, "fraud_rate", None, account, rule))
        return Verdict(Action.REJECT, "fraud_rate", rule, 403, "Call Rate Exceeded")

    def call_ended(self, call_id: str) -> None:
        account = self._calls.pop(call_id, None)
        if account is not None:
            self.shield.call_ended(account, call_id, self.wallclock())
            self.pump()

    # ----- what the shield says --------------------------------------------------------------
    def pump(self) -> None:
        while (event := self.shield.next_event()) is not None:
            self._observe(event)
        self._rearm()

    def _observe(self, event: SecurityEvent) -> None:
        level = logging.DEBUG if event.kind is EventKind.DROP else logging.INFO
        log.log(
            level,
            "%s reason=%s source=%s account=%s rule=%r %s",
            event.kind.value,
            event.reason,
            event.source,
            event.account,
            event.rule,
            event.detail,
        )
        detail = {"rule": event.rule, "detail": event.detail}
        self.bus.publish(
            Event(
                event.at,
                event.kind.value,
                event.reason,
                event.source or "",
                event.account or "",
                detail,
            )
        )
        if event.kind is EventKind.DROP:
            self.metrics.drop(event.reason)
        elif event.kind is EventKind.REJECT:
            self.metrics.reject(event.reason)
        elif event.kind is EventKind.BAN:
            self.metrics.ban(event.reason)
        self._persist(event)

    def _persist(self, event: SecurityEvent) -> None:
        now = self.wallclock()
        if event.kind is EventKind.BAN and event.source is not None:
            ban = self.shield.ban_of(event.source, now)
            if ban is not None and self._applying:
                self._spawn(self.store.save(ban))
            elif ban is not None:  # ours: logged for the other nodes, marked with our name
                marked = dataclasses.replace(ban, by=f"{ban.by}@{self.node}")
                self._spawn(self.store.admin_ban(marked, now))
        elif event.kind is EventKind.UNBAN and event.source is not None:
            if event.reason == "lifted" and not self._applying:
                self._spawn(self._lift_everywhere(event.source, now))
            else:  # expired (every node expires it itself) or another node's lift
                self._spawn(self.store.delete(event.source))
        elif event.kind is EventKind.LOCK and event.account is not None:
            lock = self.shield.lock_of(event.account, now)
            if lock is not None:
                self._spawn(self.store.save_lock(lock))
        elif event.kind is EventKind.UNLOCK and event.account is not None:
            self._spawn(self.store.delete_lock(event.account))

    async def _lift_everywhere(self, ip: str, now: float) -> None:
        await self.store.admin_lift(ip, f"admin@{self.node}", now)
        await self.store.delete(ip)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("ban store write failed: %s", task.exception())

    def _rearm(self) -> None:
        deadline = self.shield.next_deadline()
        if deadline == self._deadline:
            return  # the common case on the hot path: nothing new to wait for
        self._deadline = deadline
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            delay = max(0.0, deadline - self.wallclock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._deadline = None
        self.shield.on_timeout(self.wallclock())
        self.pump()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
