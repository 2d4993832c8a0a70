"""`sipwarden users add|remove|list|passwd|forward`: manage SIP accounts.

The accounts live in the storage of `--storage URL`, else `[storage] url` of `--config`, else
the SQLite file of the data directory (`--data-dir`, else `[server] data_dir`, else the
default): `sqlite:///PATH` or `postgresql://...` (docs/cluster.md). Passwords are read with
getpass (asked twice) unless `--password` is given; only HA1 hashes are stored. `forward` shows
or changes the account's call forwarding (docs/forwarding.md); `remove` deletes the account and
its forwarding in one transaction. Errors (a bad URL, an unreachable PostgreSQL included) print
one line `sipwarden: users VERB: what is wrong` and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace

from sipwarden.config import Overrides, load_config
from sipwarden.config.model import Config
from sipwarden.config.names import check_domain, split_address
from sipwarden.errors import LocalError
from sipwarden.storage.bundles import Storage
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.urls import check_storage_url, open_storage
from sipwarden.users import UserError
from sipwarden.users.forwarding import KINDS, MAX_NO_ANSWER_AFTER, Forwarding, ForwardingError

Action = Callable[[Storage, argparse.Namespace], Awaitable[None]]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `users` and its verbs on the top-level subparsers."""
    users = subparsers.add_parser("users", help="manage SIP accounts (user@domain)")
    verbs = users.add_subparsers(dest="users_command", metavar="VERB", required=True)
    common = _common_options()
    add = verbs.add_parser("add", parents=[common], help="create an account")
    _address(add)
    add.add_argument("--password", help="the password (asked twice when not given)")
    remove = verbs.add_parser("remove", parents=[common], help="delete an account")
    _address(remove)
    listing = verbs.add_parser("list", parents=[common], help="print the accounts")
    listing.add_argument("--domain", type=_domain_argument, help="only this domain's accounts")
    passwd = verbs.add_parser("passwd", parents=[common], help="change an account's password")
    _address(passwd)
    passwd.add_argument("--password", help="the new password (asked twice when not given)")
    _forward_parser(verbs, common)


def _forward_parser(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    forward = verbs.add_parser(
        "forward",
        parents=[common],
        help="show or change an account's call forwarding",
        description="Show or change call forwarding. URI: a SIP, SIPS or tel URI, a user of the"
        " same domain, or user@domain; an empty URI ('') turns that kind off.",
    )
    _address(forward)
    forward.add_argument("--always", metavar="URI", help="forward every call (phones never ring)")
    forward.add_argument("--busy", metavar="URI", help="forward when the phones answer busy")
    forward.add_argument(
        "--no-answer", dest="no_answer", metavar="URI", help="forward when nobody answers"
    )
    forward.add_argument(
        "--after",
        metavar="SECONDS",
        type=int,
        help=f"seconds before --no-answer applies (1 to {MAX_NO_ANSWER_AFTER}, default 20)",
    )
    forward.add_argument(
        "--unregistered", metavar="URI", help="forward when no phone is registered"
    )
    forward.add_argument(
        "--clear", action="store_true", help="remove all forwarding first (then apply the others)"
    )
    forward.add_argument(
        "--show", action="store_true", help="print the forwarding (the default without changes)"
    )


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data directory (default: from --config, else ./sipwarden-data)",
    )
    common.add_argument(
        "--config", metavar="FILE", help="configuration file (for data_dir, [storage] url)"
    )
    common.add_argument(
        "--storage",
        metavar="URL",
        help="where the accounts are: sqlite:///path (default: the data directory's)"
        " or postgresql://user@host:port/db",
    )
    return common


def _address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("address", metavar="USER@DOMAIN", type=_address_argument)


def _address_argument(text: str) -> tuple[str, str]:
    try:
        return split_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _domain_argument(text: str) -> str:
    try:
        return check_domain(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Run the `users` verb in `args`; 0 on success, 1 with a one-line error on stderr."""
    try:
        config = load_config(args.config, Overrides(data_dir=args.data_dir, storage=args.storage))
        asyncio.run(_run(config, args))
    except (LocalError, OSError, sqlite3.Error, StoreUnavailable) as exc:
        print(f"sipwarden: users {args.users_command}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _run(config: Config, args: argparse.Namespace) -> None:
    storage = await _open(config)
    try:
        await ACTIONS[args.users_command](storage, args)
    finally:
        await storage.close()


async def _open(config: Config) -> Storage:
    url, data_dir = config.storage.url, config.server.data_dir
    try:
        return await open_storage(url, data_dir=data_dir)
    except (OSError, sqlite3.Error) as exc:
        where = check_storage_url(url).redacted() if url else f"the database in {data_dir}"
        raise UserError(f"cannot open {where}: {exc}") from None


async def _add(storage: Storage, args: argparse.Namespace) -> None:
    user, domain = args.address
    if await storage.users.exists(user, domain):
        raise UserError(f"{user}@{domain} already exists")
    await storage.users.add(user, domain, _password(args, f"{user}@{domain}"))
    print(f"added {user}@{domain}")


async def _passwd(storage: Storage, args: argparse.Namespace) -> None:
    user, domain = args.address
    if not await storage.users.exists(user, domain):
        raise UserError(f"{user}@{domain} does not exist")
    await storage.users.set_password(user, domain, _password(args, f"{user}@{domain}"))
    print(f"changed the password of {user}@{domain}")


async def _remove(storage: Storage, args: argparse.Namespace) -> None:
    user, domain = args.address
    await storage.remove_account(user, domain)
    print(f"removed {user}@{domain}")


async def _list(storage: Storage, args: argparse.Namespace) -> None:
    entries = await storage.forwarding.list()
    forwards = {(e.user, e.domain.lower()): e.forwarding for e in entries}
    for record in await storage.users.list(args.domain):
        line = f"{record.user}@{record.domain}  algorithms: {', '.join(record.ha1)}"
        forwarding = forwards.get((record.user, record.domain.lower()))
        if forwarding is not None:
            line += f"  forwards: {forwarding.describe()}"
        print(line)


async def _forward(storage: Storage, args: argparse.Namespace) -> None:
    user, domain = args.address
    if not await storage.users.exists(user, domain):
        raise UserError(f"{user}@{domain} does not exist")
    settings = storage.forwarding
    if args.clear or args.after is not None or any(getattr(args, k) is not None for k in KINDS):
        current = None if args.clear else await settings.get(user, domain)
        await settings.set(user, domain, _changed(current or Forwarding(), args))
    shown = await settings.get(user, domain) or Forwarding()
    print(f"{user}@{domain}: {shown.describe()}")


def _changed(current: Forwarding, args: argparse.Namespace) -> Forwarding:
    """`current` with the options given: a URI sets that kind, '' turns it off."""

    def option(kind: str) -> str | None:
        value: str | None = getattr(args, kind)
        return getattr(current, kind) if value is None else value or None

    updated = replace(
        current,
        always=option("always"),
        busy=option("busy"),
        no_answer=option("no_answer"),
        unregistered=option("unregistered"),
    )
    if args.after is not None:
        if updated.no_answer is None:
            raise ForwardingError("--after needs a no-answer target (--no-answer URI)")
        updated = replace(updated, no_answer_after=args.after)
    return updated


def _password(args: argparse.Namespace, account: str) -> str:
    if args.password is not None:
        return str(args.password)
    try:
        first = getpass.getpass(f"Password for {account}: ")
        second = getpass.getpass("Again: ")
    except (EOFError, KeyboardInterrupt):
        raise UserError("no password entered") from None
    if first != second:
        raise UserError("the passwords do not match")
    return first


ACTIONS: dict[str, Action] = {
    "add": _add,
    "remove": _remove,
    "list": _list,
    "passwd": _passwd,
    "forward": _forward,
}
