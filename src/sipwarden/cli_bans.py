"""`sipwarden bans list|add|remove`: the address bans kept in the state store.

The state store is `--state URL`, else `[state] url` (and `[state] prefix`) of `--config`, else
the SQLite file of the data directory (`--data-dir`, else `[server] data_dir`, else the
default): `sqlite:///PATH` or `redis://HOST:PORT/DB` (docs/cluster.md). `add` and `remove`
write the ban store and its change log; every running server polls the log and applies the
change within a few seconds (docs/security.md). An allow-listed address or trusted peer
(`[security] allow`, `trusted_peers` of `--config`) cannot be banned. Errors (a bad URL, an
unreachable Redis included) print one line `sipwarden: bans VERB: what is wrong` and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sipwarden.config import Overrides, load_config
from sipwarden.config.model import Config
from sipwarden.errors import LocalError
from sipwarden.security.config import SecurityConfig
from sipwarden.security.events import Ban
from sipwarden.security.store import BanStore
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.urls import open_state

BY = "cli"


class BansError(LocalError):
    """A `bans` verb that cannot be done."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `bans` and its verbs on the top-level subparsers."""
    bans = subparsers.add_parser("bans", help="list, add and lift address bans")
    verbs = bans.add_subparsers(dest="bans_command", metavar="VERB", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data directory (default: from --config, else ./sipwarden-data)",
    )
    common.add_argument("--config", metavar="FILE", help="configuration file")
    common.add_argument(
        "--state",
        metavar="URL",
        help="where the bans are: sqlite:///path (default: the data directory's)"
        " or redis://host:port/db",
    )
    verbs.add_parser("list", parents=[common], help="print the active bans")
    add = verbs.add_parser("add", parents=[common], help="ban an address")
    add.add_argument("ip", metavar="IP", type=_ip_argument)
    add.add_argument(
        "--for", dest="seconds", metavar="SECONDS", type=_seconds_argument,
        help="how long (default: until removed)",
    )  # fmt: skip
    add.add_argument("--reason", default="admin", help="why (default: admin)")
    remove = verbs.add_parser("remove", parents=[common], help="lift the ban of an address")
    remove.add_argument("ip", metavar="IP", type=_ip_argument)


def _ip_argument(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None


def _seconds_argument(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return seconds


def run(args: argparse.Namespace) -> int:
    """Run the `bans` verb in `args`; 0 on success, 1 with a one-line error on stderr."""
    try:
        config = load_config(args.config, Overrides(data_dir=args.data_dir, state=args.state))
        security = SecurityConfig.from_section(config.security)
        asyncio.run(_run(config, security, args))
    except (LocalError, OSError, sqlite3.Error, StoreUnavailable) as exc:
        print(f"sipwarden: bans {args.bans_command}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _run(config: Config, security: SecurityConfig, args: argparse.Namespace) -> None:
    section = config.state
    state = await open_state(section.url, data_dir=config.server.data_dir, prefix=section.prefix)
    try:
        await VERBS[args.bans_command](state.bans, security, args)
    finally:
        await state.close()


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "until removed"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(ban: Ban) -> str:
    """One line of `bans list`."""
    until = "until removed" if ban.until is None else f"until {_when(ban.until)}"
    return (
        f"{ban.ip}  {ban.reason}  since {_when(ban.since)}  {until}"
        f"  offences {ban.offences}  by {ban.by}"
    )


async def _list(store: BanStore, security: SecurityConfig, args: argparse.Namespace) -> None:
    now = time.time()
    for ban in await store.load():
        if ban.active(now):
            print(describe(ban))


async def _add(store: BanStore, security: SecurityConfig, args: argparse.Namespace) -> None:
    if security.exempt(args.ip):
        raise BansError(f"{args.ip} is allow-listed or a trusted peer: it cannot be banned")
    now = time.time()
    until = None if args.seconds is None else now + args.seconds
    await store.admin_ban(Ban(args.ip, now, until, args.reason or "admin", 0, BY), now)
    span = "until removed" if args.seconds is None else f"for {args.seconds:g} s"
    print(f"banned {args.ip} {span}")


async def _remove(store: BanStore, security: SecurityConfig, args: argparse.Namespace) -> None:
    if not await store.admin_lift(args.ip, BY, time.time()):
        raise BansError(f"{args.ip} is not banned")
    print(f"lifted the ban of {args.ip}")


Verb = Callable[[BanStore, SecurityConfig, argparse.Namespace], Awaitable[None]]
VERBS: dict[str, Verb] = {"list": _list, "add": _add, "remove": _remove}
