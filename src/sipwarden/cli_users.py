"""`sipwarden users add|remove|list|passwd`: manage SIP accounts in the data directory.

The data directory is `--data-dir`, else `[server] data_dir` of `--config`, else the default.
Passwords are read with getpass (asked twice) unless `--password` is given; only HA1 hashes
are stored. Errors print one line `sipwarden: users VERB: what is wrong` and exit 1.
"""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from collections.abc import Callable

from sipwarden.config import Overrides, load_config
from sipwarden.config.names import check_domain, split_address
from sipwarden.errors import LocalError
from sipwarden.users import SqliteUserStore, UserError

Action = Callable[[SqliteUserStore, argparse.Namespace], None]


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


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data directory (default: from --config, else ./sipwarden-data)",
    )
    common.add_argument("--config", metavar="FILE", help="configuration file (for data_dir)")
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
        data_dir = load_config(args.config, Overrides(data_dir=args.data_dir)).server.data_dir
        with _open(data_dir) as store:
            ACTIONS[args.users_command](store, args)
    except (LocalError, OSError, sqlite3.Error) as exc:
        print(f"sipwarden: users {args.users_command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _open(data_dir: str) -> SqliteUserStore:
    try:
        return SqliteUserStore.open(data_dir)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"cannot open the database in {data_dir}: {exc}") from None


def _add(store: SqliteUserStore, args: argparse.Namespace) -> None:
    user, domain = args.address
    if store.exists(user, domain):
        raise UserError(f"{user}@{domain} already exists")
    store.add(user, domain, _password(args, f"{user}@{domain}"))
    print(f"added {user}@{domain}")


def _passwd(store: SqliteUserStore, args: argparse.Namespace) -> None:
    user, domain = args.address
    if not store.exists(user, domain):
        raise UserError(f"{user}@{domain} does not exist")
    store.set_password(user, domain, _password(args, f"{user}@{domain}"))
    print(f"changed the password of {user}@{domain}")


def _remove(store: SqliteUserStore, args: argparse.Namespace) -> None:
    user, domain = args.address
    store.remove(user, domain)
    print(f"removed {user}@{domain}")


def _list(store: SqliteUserStore, args: argparse.Namespace) -> None:
    for record in store.list(args.domain):
        print(f"{record.user}@{record.domain}  algorithms: {', '.join(record.ha1)}")


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


ACTIONS: dict[str, Action] = {"add": _add, "remove": _remove, "list": _list, "passwd": _passwd}
