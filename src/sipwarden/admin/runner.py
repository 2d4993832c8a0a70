"""Start and stop the admin listener: `start_admin(...)` -> `AdminServer`, `stop_admin(...)`.

The server calls `start_admin` after its listeners are up and `stop_admin` before it closes
its stores. Credentials are settled before anything is bound: on a loopback address none are
needed (unless `token_file` or `basic_user` is set); elsewhere the token file or basic auth
must be there, else `AdminError` says how to create one. With a `RateHistory`, a task samples
`Metrics.totals()` into it every `history.step` seconds for the rate charts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from sipwarden.admin.app import make_app
from sipwarden.admin.auth import AuthPolicy
from sipwarden.admin.backend import AdminBackend
from sipwarden.admin.token import read_token, token_path
from sipwarden.config.admin_checks import is_loopback, split_listen
from sipwarden.config.model import Config
from sipwarden.errors import LocalError
from sipwarden.observe.events import EventBus
from sipwarden.observe.metrics import Metrics
from sipwarden.observe.rates import RateHistory

log = logging.getLogger("sipwarden.admin")
SHUTDOWN_TIMEOUT = 2.0  # seconds open requests get to finish on stop


class AdminError(LocalError):
    """The admin listener cannot start as configured; the message says what to do."""


@dataclass
class AdminServer:
    """A running admin listener; `url` is where it is bound (the real port for port 0)."""

    runner: web.AppRunner
    host: str
    port: int
    sampler: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def auth_policy(config: Config) -> AuthPolicy:
    """The credentials `[admin]` asks for; AdminError when off loopback without any."""
    section = config.admin
    host, _ = split_listen(section.listen)
    basic = _basic(config)
    explicit = bool(section.token_file) or basic is not None
    if is_loopback(host) and not explicit:
        return AuthPolicy()
    path = token_path(config)
    token = read_token(path)
    if token is None and basic is None:
        raise AdminError(
            f"admin API on {section.listen} is not loopback-only and has no credentials: run"
            f" `sipwarden admin token` to create {path}, or set [admin] basic_user and"
            " basic_password_file, or listen on 127.0.0.1"
        )
    return AuthPolicy(token=token, basic=basic)


def _basic(config: Config) -> tuple[str, str] | None:
    user, password_file = config.admin.basic_user, config.admin.basic_password_file
    if not user and not password_file:
        return None
    if not user or not password_file:
        raise AdminError("[admin] basic_user and basic_password_file are set together")
    try:
        lines = Path(password_file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AdminError(f"[admin] basic_password_file: cannot read: {exc}") from None
    if not lines or not lines[0]:
        raise AdminError(f"[admin] basic_password_file: {password_file} is empty")
    return user, lines[0]


async def start_admin(
    backend: AdminBackend,
    bus: EventBus,
    metrics: Metrics,
    config: Config,
    *,
    history: RateHistory | None = None,
    policy: AuthPolicy | None = None,
) -> AdminServer:
    """Bind `[admin] listen` and serve the API, dashboard and /metrics.

    `policy` overrides the credentials from the config (tests). AdminError when the
    credentials are missing; OSError when the address cannot be bound."""
    host, port = split_listen(config.admin.listen)
    policy = policy if policy is not None else auth_policy(config)
    app = make_app(backend, bus, metrics, policy)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_host, bound_port = _bound(runner, host, port)
    server = AdminServer(runner, bound_host, bound_port)
    if history is not None:
        server.sampler = asyncio.ensure_future(_sample(history, metrics))
    log.info("admin API and dashboard on %s (%s)", server.url, _auth_text(policy))
    return server


async def stop_admin(server: AdminServer) -> None:
    """Close the listener, end the event streams, wait for open requests (bounded)."""
    if server.sampler is not None:
        server.sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server.sampler
    await server.runner.cleanup()


def _bound(runner: web.AppRunner, host: str, port: int) -> tuple[str, int]:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return str(address[0]), int(address[1])
    return host, port


def _auth_text(policy: AuthPolicy) -> str:
    if not policy.required:
        return "loopback only, no credentials"
    kinds = [name for name, on in (("token", policy.token), ("basic", policy.basic)) if on]
    return " or ".join(kinds) + " required"


async def _sample(history: RateHistory, metrics: Metrics) -> None:
    while True:
        history.sample(time.time(), metrics.totals())
        await asyncio.sleep(history.step)
