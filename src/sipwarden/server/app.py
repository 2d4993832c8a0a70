"""`sipwarden run`: build the server from a Config, serve until told to stop, stop cleanly.

Start-up order: open the stores (by default one SQLite file in the data directory holds
accounts, bindings, nonce counts and bans; `[state] url` / `[storage] url` put them in Redis
and PostgreSQL for a cluster, docs/cluster.md), load or create the nonce key, bind every
listener (TLS/WSS get a self-signed pair when none is configured), then log one `ready` line.
SIGTERM or SIGINT stops the listeners first, lets the answers in progress finish, then closes
the stores. As worker K of `--workers N` (`role`, docs/workers.md) it shares the UDP ports,
leaves the stream listeners and the admin API to worker 0 and hands messages over (Relay).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sipwarden import __version__
from sipwarden.admin.runner import AdminServer, auth_policy, start_admin, stop_admin
from sipwarden.auth.config import AuthConfig
from sipwarden.auth.digest_auth import DigestAuth
from sipwarden.build import build_info
from sipwarden.config import ConfigError
from sipwarden.config.dns_checks import split_nameserver
from sipwarden.config.model import Config
from sipwarden.config.observe_checks import split_collector
from sipwarden.dns.resolver import SipResolver
from sipwarden.location.store import LocationStore
from sipwarden.observe.cdr import CallTracker
from sipwarden.observe.cdr_feed import CdrRecorder
from sipwarden.observe.cdr_writer import FLUSH_SIZE, CdrBuffer, CdrWriter
from sipwarden.observe.events import Event, EventBus
from sipwarden.observe.hep_sender import HepSender
from sipwarden.observe.metrics import Metrics
from sipwarden.observe.rates import RateHistory
from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.identity import Interface, ProxyIdentity
from sipwarden.registrar.config import RegistrarConfig
from sipwarden.registrar.registrar import Registrar
from sipwarden.routing import HealthTracker, Rejected, Routing, compile_rules
from sipwarden.security.config import SecurityConfig
from sipwarden.security.shield import Shield
from sipwarden.server.admin_backend import ServerBackend
from sipwarden.server.core import ServerCore
from sipwarden.server.dispatcher import Dispatcher
from sipwarden.server.flows import family_of, interfaces_for
from sipwarden.server.gctune import tune_gc
from sipwarden.server.guard import Guard
from sipwarden.server.interfaces import host_addresses
from sipwarden.server.locality import Locality
from sipwarden.server.probing import Prober
from sipwarden.server.proxying import Proxy
from sipwarden.server.registration import Registration
from sipwarden.server.secret import load_or_create_secret
from sipwarden.server.storewatch import StoreWatch
from sipwarden.server.transports import (
    bound_addresses,
    peer_names,
    start_transports,
    transport_config,
)
from sipwarden.server.workers import Relay, WorkerRole, start_relay
from sipwarden.storage.bundles import State, Storage
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.nodes import beat
from sipwarden.storage.urls import open_state, open_storage
from sipwarden.transaction import ClientTransaction, TimerConfig
from sipwarden.transport.address import Address, Received
from sipwarden.transport.hub import Transports
from sipwarden.users.directory import ForwardingDirectory, UserDirectory

log = logging.getLogger("sipwarden.server")
SWEEP_INTERVAL = 1.0  # seconds between expiry sweeps of the location service


@dataclass
class Server:
    """A running server; `stop()` ends `serve_forever()`."""

    config: Config
    transports: Transports
    dispatcher: Dispatcher
    core: ServerCore
    location: LocationStore
    state: State
    storage: Storage
    proxy: Proxy
    users: UserDirectory
    forwarding: ForwardingDirectory
    guard: Guard
    metrics: Metrics
    bus: EventBus
    reload_config: Callable[[], Config] | None = None
    admin: AdminServer | None = None
    hep: HepSender | None = None
    cdr_writer: CdrBuffer | None = None  # write-behind: close() writes what it holds
    relay: Relay | None = None  # the handoff to the other workers (docs/workers.md)
    stores: StoreWatch | None = None  # are the stores up (logged, gauge, admin status)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.time)  # for the cluster heartbeat

    def listeners(self) -> list[Address]:
        return bound_addresses(self.transports)

    def stop(self) -> None:
        self.stopping.set()

    def reload(self) -> bool:
        """SIGHUP: re-read the configuration and swap the routing tables atomically; on any
        error keep the running ones and log why (docs/routing.md). True when swapped."""
        if self.reload_config is None:
            return False
        try:
            routing = compile_routing(self.reload_config())
        except ConfigError as error:
            log.error("reload refused, the running rules stay: %s", error)
            return False
        self.proxy.swap_routing(routing, time.time())
        log.info("reload: routing swapped (%s)", routing.summary())
        return True


def compile_routing(config: Config) -> Routing:
    """The routing rules of `config`; ConfigError (one line per error, FILE:LINE) if they
    do not compile."""
    routing = compile_rules(config)
    if isinstance(routing, Rejected):
        raise ConfigError(str(routing))
    return routing


async def start_server(
    config: Config,
    routing: Routing | None = None,
    reload: Callable[[], Config] | None = None,
    role: WorkerRole | None = None,
) -> Server:
    """Open the stores, bind the listeners and return the server, ready to serve.
    `reload` re-reads the configuration for SIGHUP (only the routing tables are swapped);
    `role` makes it one worker of several."""
    routing = routing if routing is not None else compile_routing(config)
    admin = config.admin.enabled and (role is None or role.streams)
    policy = auth_policy(config) if admin else None  # fail before binding
    data_dir = Path(config.server.data_dir)
    state = await open_state(config.state.url, data_dir=data_dir, prefix=config.state.prefix)
    try:
        storage = await open_storage(config.storage.url, data_dir=data_dir)
    except BaseException:
        await state.close()
        raise
    users, forwarding = storage.users, storage.forwarding
    location, nonce_counts = state.location, state.nonce_counts
    timers = TimerConfig(t1=config.timers.t1, t2=config.timers.t2, t4=config.timers.t4)
    dispatcher = Dispatcher(sender=_NoSender(), timers=timers)
    dispatcher.worker = None if role is None else role.index  # branches end .w<K>
    bus, metrics = EventBus(), Metrics()
    guard = Guard(
        Shield(SecurityConfig.from_section(config.security)),
        state.bans,
        bus,
        metrics,
        time.time,
        counters=state.counters,
    )
    try:
        await guard.start()
        transports = await start_transports(
            config,
            dispatcher.on_message,
            dispatcher.send_failed,
            1 if role is None else role.count,
            role is None or role.streams,
        )
    except BaseException:
        await storage.close()
        await state.close()
        raise
    dispatcher.guard, dispatcher.metrics = guard, metrics
    dispatcher.sender = transports
    bound = bound_addresses(transports)
    sockets = [(address.host, address.port) for address in bound]
    own = host_addresses()
    locality = Locality.build(config.server.domains, sockets, own)
    secret = load_or_create_secret(data_dir)
    auth = DigestAuth(_auth_config(config), secret)
    registration = Registration(
        locality=locality,
        auth=auth,
        users=users,
        nonce_counts=nonce_counts,
        location=location,
        registrar=Registrar(_registrar_config(config), is_self=locality.is_self),
        wallclock=time.time,
        guard=guard,
    )
    section = config.proxy
    interfaces = interfaces_for(bound, _advertised(own))
    proxy = Proxy(
        dispatcher=dispatcher,
        locality=locality,
        identity=ProxyIdentity(interfaces, is_self=locality.is_self, secret=secret),
        config=ProxyConfig(
            record_route=section.record_route,
            timer_c=float(section.timer_c),
            recurse_on_3xx=section.recurse_on_3xx,
        ),
        auth=auth,
        users=users,
        nonce_counts=nonce_counts,
        location=location,
        forwarding=forwarding,
        wallclock=time.time,
        guard=guard,
        resolver=SipResolver(
            [split_nameserver(n) for n in config.dns.nameservers] or None,
            timeout=config.dns.timeout,
            supported_transports=_transports(interfaces),
        ),
        routing=routing,
        health=HealthTracker(routing.gateways.values(), time.time()),
        redirect=section.mode == "redirect",
        max_forward_hops=section.max_forward_hops,
        mtu_limit=config.transport.udp_mtu_limit,
    )
    proxy.peer_names = functools.partial(peer_names, transports)
    core = ServerCore(dispatcher, locality, registration.answer, proxy)
    dispatcher.core = core
    metrics.watch_transports(transports.snapshot)
    hep = await _start_hep(config, dispatcher, transports)
    cdr_writer = _start_cdr(config, dispatcher)
    server = Server(
        config,
        transports,
        dispatcher,
        core,
        location,
        state,
        storage,
        proxy,
        users,
        forwarding,
        guard,
        metrics,
        bus,
        reload,
    )
    server.hep, server.cdr_writer = hep, cdr_writer
    probes = {"state": state.ping, "storage": storage.ping}
    server.stores = StoreWatch(probes, metrics, {"state": state.kind, "storage": storage.kind})
    if role is not None:
        limits = transport_config(config).limits
        try:
            server.relay = await start_relay(role, dispatcher, transports, limits)
        except BaseException:
            await _shutdown(server)
            raise
    if policy is not None:
        history = RateHistory()
        backend = ServerBackend(server, history, bus)
        try:
            server.admin = await start_admin(
                backend, bus, metrics, config, history=history, policy=policy
            )
        except BaseException:
            await _shutdown(server)
            raise
    return server


async def serve_forever(server: Server) -> None:
    """Run until `server.stop()` (or SIGTERM/SIGINT), then stop cleanly."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, server.stop)
    with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, server.reload)
    sweeper = asyncio.ensure_future(_sweep(server))
    prober = asyncio.ensure_future(Prober(server.proxy, server.bus, server.metrics).run())
    tune_gc()  # start-up objects frozen, fewer collections: no multi-100 ms pauses under load
    _log_ready(server)  # after the handlers: a SIGTERM right after "ready" stops cleanly
    try:
        await server.stopping.wait()
    finally:
        sweeper.cancel()
        prober.cancel()
        await asyncio.gather(sweeper, prober, return_exceptions=True)
        await _shutdown(server)


async def _shutdown(server: Server) -> None:
    log.info("sipwarden stopping")
    if server.admin is not None:
        await stop_admin(server.admin)
    await server.transports.close()
    if server.relay is not None:
        server.relay.close()
    await server.core.drain()
    server.dispatcher.close()
    await server.guard.close()
    if server.hep is not None:
        server.hep.close()
    if server.dispatcher.cdr is not None:
        server.dispatcher.cdr.on_timeout()
    if server.cdr_writer is not None:
        server.cdr_writer.close()  # the records still buffered are written here
    await server.storage.close()
    await server.state.close()
    log.info("sipwarden stopped")


async def _sweep(server: Server) -> None:
    """Once a second: remove expired bindings on time (RFC 3261 §10.3: a binding lasts its
    expiry, no more), apply ban changes made with the `bans` CLI, refresh the gauges."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(SWEEP_INTERVAL)
        server.metrics.set_loop_lag(max(0.0, loop.time() - before - SWEEP_INTERVAL))
        try:
            if server.stores is not None:
                await server.stores.check()  # logs an outage once, not every second
            if server.stores is None or server.stores.up("state"):
                await _housekeeping(server)
        except StoreUnavailable as exc:
            if server.stores is not None:
                server.stores.report("state", exc.detail)
        except Exception:
            log.exception("housekeeping failed; retrying in %.0f s", SWEEP_INTERVAL)


async def _housekeeping(server: Server) -> None:
    now = time.time()
    health = server.stores.health() if server.stores is not None else {}
    listeners = [str(a) for a in server.listeners()]
    await beat(server.state.nodes, listeners, server.started, health, now)  # docs/cluster.md
    for binding in await server.location.expire(now):
        log.info("binding expired aor=%s contact=%s", binding.aor, binding.contact)
        server.bus.publish(Event(now, "unregister", "expired", "", binding.aor, {}))
    await server.guard.poll()
    metrics, table = server.metrics, server.dispatcher.table
    clients = sum(1 for t in table if isinstance(t, ClientTransaction))
    metrics.set_transactions(len(table) - clients, clients)
    metrics.set_registrations(await server.location.count(now))
    metrics.set_bans_active(len(server.guard.shield.bans(now)))
    metrics.set_dialogs(len(server.proxy.sessions))
    if server.dispatcher.cdr is not None:
        server.dispatcher.cdr.on_timeout()  # dialogs whose BYE never came


async def _start_hep(
    config: Config, dispatcher: Dispatcher, transports: Transports
) -> HepSender | None:
    """`[hep]`: a copy of every message received and sent to the collector (docs/hep.md)."""
    section = config.hep
    if not section.enabled:
        return None
    host, port = split_collector(section.collector)
    hep = HepSender(host, port, section.agent_id, section.password or None)
    await hep.start()

    def received(message: Received) -> None:
        hep.capture(message.message.serialize(), message.source, message.local, time.time())

    def sent(data: bytes, local: Address, peer: Address) -> None:
        hep.capture(data, local, peer, time.time())

    dispatcher.capture, transports.on_sent = received, sent
    return hep


def _start_cdr(config: Config, dispatcher: Dispatcher) -> CdrBuffer | None:
    """`[cdr]`: one record per call attempt, to CSV and the database (docs/cdr.md), written in
    batches at most `flush_interval` seconds after each call ended, on a timer of the running
    loop (0: each one at once); `_shutdown` writes the rest."""
    section = config.cdr
    if not section.enabled:
        return None
    writer = CdrWriter(config.server.data_dir, use_csv=section.csv, use_database=section.database)
    interval = section.flush_interval
    size = FLUSH_SIZE if interval > 0 else 1
    buffer = CdrBuffer(writer, asyncio.get_running_loop().call_later, interval, size)
    tracker = CallTracker(max_duration=section.max_duration)
    dispatcher.cdr = CdrRecorder(tracker, buffer.write, time.time)
    return buffer


def _log_ready(server: Server) -> None:
    if server.relay is not None:  # the supervisor logs `ready` once every worker is up
        listeners = bound_addresses(server.transports)
        log.info("worker up: listening on %s", " ".join(str(a) for a in listeners))
        server.relay.ready(listeners)
        return
    log.info(
        "sipwarden %s (%s) ready: listening on %s; domains: %s; data: %s",
        __version__,
        build_info(),
        " ".join(str(address) for address in bound_addresses(server.transports)),
        ", ".join(server.config.server.domains) or "(own addresses only)",
        server.config.server.data_dir,
    )


def _transports(interfaces: tuple[Interface, ...]) -> tuple[str, ...]:
    """What DNS may offer (RFC 3263 §4.1): the transports we have an interface for."""
    return tuple(dict.fromkeys(i.flow[0].upper() for i in interfaces))


def _advertised(addresses: set[str]) -> dict[str, str]:
    """The address a wildcard listener puts in Via and Record-Route, per family: the host's
    first non-loopback address, else the loopback."""
    chosen: dict[str, str] = {}
    for address in sorted(addresses):
        family = family_of(address)
        if address not in ("127.0.0.1", "::1") and family not in chosen:
            chosen[family] = address
    return chosen


def _auth_config(config: Config) -> AuthConfig:
    section = config.auth
    return AuthConfig(
        algorithms=section.algorithms,
        qop=section.qop,
        nonce_ttl=section.nonce_ttl,
        identity_exempt=frozenset(section.identity_exempt),
    )


def _registrar_config(config: Config) -> RegistrarConfig:
    section = config.registrar
    return RegistrarConfig(
        min_expires=section.min_expires,
        max_expires=section.max_expires,
        default_expires=section.default_expires,
        max_contacts=section.max_contacts,
    )


class _NoSender:
    """Stands in until the transports are bound (nothing can arrive before that)."""

    def send(self, data: bytes, destination: object) -> None:
        raise RuntimeError("transports not started")

    def is_open(self, connection: int) -> bool:
        return False
