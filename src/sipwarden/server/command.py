"""The `sipwarden run` subcommand: flags, config loading, the event loop."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import logging
import os
import signal
import sys
from typing import Any

from sipwarden.config import ConfigError, Overrides, load_config
from sipwarden.config.model import Config
from sipwarden.errors import LocalError
from sipwarden.server.app import compile_routing, serve_forever, start_server
from sipwarden.server.logsetup import setup_logging
from sipwarden.server.supervisor import Plan, supervise
from sipwarden.server.workers import WorkerRole, parse_ports
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.transport.loop import new_event_loop

log = logging.getLogger("sipwarden.server")


def add_parser(commands: Any) -> None:
    """Register `run` on the CLI's subparsers."""
    parser = commands.add_parser(
        "run",
        help="start the proxy",
        description="Start the proxy. Flags override the configuration file.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML configuration file")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default ./sipwarden-data)"
    )
    parser.add_argument(
        "--domain",
        action="append",
        default=[],
        metavar="D",
        help="a SIP domain served (repeatable)",
    )
    parser.add_argument(
        "--listen",
        action="append",
        default=[],
        metavar="PROTO:HOST:PORT",
        help="listen address, e.g. udp:0.0.0.0:5060 or tls:[::]:5061 (repeatable)",
    )
    parser.add_argument(
        "--storage",
        metavar="URL",
        help="accounts and forwarding: sqlite:///path (default) or postgresql://...",
    )
    parser.add_argument(
        "--state",
        metavar="URL",
        help="bindings, nonce counts, bans: sqlite:///path (default) or redis://host:port/db",
    )
    parser.add_argument(
        "--admin",
        metavar="HOST:PORT",
        help="admin API and dashboard address (default 127.0.0.1:8088, docs/admin.md)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes sharing the ports (default: the number of cores, docs/workers.md)",
    )
    # set by the supervisor for its workers (docs/workers.md), not for people
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--handoff", help=argparse.SUPPRESS)
    parser.add_argument("--handoff-fd", type=int, help=argparse.SUPPRESS)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    """Load the configuration, start the server, serve until SIGTERM/SIGINT."""
    overrides = Overrides(
        data_dir=args.data_dir,
        domains=tuple(args.domain),
        listen=tuple(args.listen),
        admin=args.admin,
        storage=args.storage,
        state=args.state,
    )

    def reload() -> Config:
        return load_config(args.config, overrides)

    try:
        config = reload()
        routing = compile_routing(config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"sipwarden: {line}", file=sys.stderr)
        return 1
    count = args.workers or os.cpu_count() or 1
    if count > 1 and args.worker is None:
        setup_logging(config.log.level, config.log.format)
        return supervise(_plan(args, config), count)
    role = _role(args, count)
    setup_logging(config.log.level, config.log.format, None if role is None else role.index)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        try:
            server = runner.run(start_server(config, routing, reload, role))
        except (OSError, LocalError, StoreUnavailable) as error:
            print(f"sipwarden: cannot start: {error}", file=sys.stderr)
            return 1
        runner.run(serve_forever(server))
    return 0


def _plan(args: argparse.Namespace, config: Config) -> Plan:
    """The flags every worker gets: the parent's, with the listen specs given separately."""
    flags: list[str] = []
    for flag, value in (
        ("--config", args.config),
        ("--data-dir", args.data_dir),
        ("--storage", args.storage),
        ("--state", args.state),
        ("--admin", args.admin),
    ):
        if value is not None:
            flags += [flag, value]
    for domain in args.domain:
        flags += ["--domain", domain]
    listen = [str(spec) for spec in config.server.listen]
    return Plan(flags, listen, config.server.domains, str(config.server.data_dir))


def _role(args: argparse.Namespace, count: int) -> WorkerRole | None:
    """Worker K of a supervisor (hidden flags), or None for the one-process server."""
    if args.worker is None or args.handoff is None or args.handoff_fd is None:
        return None
    _die_with_parent()
    return WorkerRole(args.worker, count, parse_ports(args.handoff), args.handoff_fd)


def _die_with_parent() -> None:
    """Linux: SIGTERM when the supervisor goes away, however it went (PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
