"""The `sipwarden run` subcommand: flags, config loading, the event loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from sipwarden.config import ConfigError, Overrides, load_config
from sipwarden.config.model import Config
from sipwarden.errors import LocalError
from sipwarden.server.app import compile_routing, serve_forever, start_server
from sipwarden.server.logsetup import setup_logging
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
    setup_logging(config.log.level, config.log.format)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        try:
            server = runner.run(start_server(config, routing, reload))
        except (OSError, LocalError, StoreUnavailable) as error:
            print(f"sipwarden: cannot start: {error}", file=sys.stderr)
            return 1
        runner.run(serve_forever(server))
    return 0
