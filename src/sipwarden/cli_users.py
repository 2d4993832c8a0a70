"""`sipwarden users add|remove|list|passwd|forward`: manage SIP accounts in the data directory.

The data directory is `--data-dir`, else `[server] data_dir` of `--config`, else the default.
Passwords are read with getpass (asked twice) unless `--password` is given; only HA1 hashes
are stored. `forward` shows or changes the account's call forwarding (docs/forwarding.md);
`remove` deletes the account and its forwarding in one transaction. Errors print one line
`sipwarden: users VERB: what is wrong` and exit 1.
"""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sipwarden.config import Overrides, load_config
from sipwarden.config.names import check_domain, split_address
from sipwarden.errors import LocalError
from sipwarden.storage.sqlite import connect, database_path
from sipwarden.users import SqliteUserStore, UserError
from sipwarden.users.forwarding import (
    KINDS,
    MAX_NO_ANSWER_AFTER,
    Forwarding,
    ForwardingError,
    SqliteForwardingStore,
)


@dataclass(frozen=True, slots=True)
class Stores:
    """The account and forwarding stores on one connection to the data directory's database."""

    conn: sqlite3.Connection
    users: SqliteUserStore
    forwarding: SqliteForwardingStore


Action = Callable[[Stores, argparse.Namespace], None]


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
        with _open(data_dir) as stores:
            ACTIONS[args.users_command](stores, args)
    except (LocalError, OSError, sqlite3.Error) as exc:
        print(f"sipwarden: users {args.users_command}: {exc}", file=sys.stderr)
        return 1
    return 0


@contextmanager
def _open(data_dir: str) -> Iterator[Stores]:
    try:
        stores = _stores(connect(database_path(data_dir)))
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"cannot open the database in {data_dir}: {exc}") from None
    try:
        yield stores
    finally:
        stores.conn.close()


def _stores(conn: sqlite3.Connection) -> Stores:
    try:
        return Stores(conn, SqliteUserStore(conn), SqliteForwardingStore(conn))
    except BaseException:
        conn.close()
        raise


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _add(stores: Stores, args: argparse.Namespace) -> None:
    store = stores.users
    user, domain = args.address
    if store.exists(user, domain):
        raise UserError(f"{user}@{domain} already exists")
    store.add(user, domain, _password(args, f"{user}@{domain}"))
    print(f"added {user}@{domain}")


def _passwd(stores: Stores, args: argparse.Namespace) -> None:
    store = stores.users
    user, domain = args.address
    if not store.exists(user, domain):
        raise UserError(f"{user}@{domain} does not exist")
    store.set_password(user, domain, _password(args, f"{user}@{domain}"))
    print(f"changed the password of {user}@{domain}")


def _remove(stores: Stores, args: argparse.Namespace) -> None:
    user, domain = args.address
    with _transaction(stores.conn):
        stores.forwarding.clear(user, domain)
        stores.users.remove(user, domain)
    print(f"removed {user}@{domain}")


def _list(stores: Stores, args: argparse.Namespace) -> None:
    forwards = {(e.user, e.domain.lower()): e.forwarding for e in stores.forwarding.list()}
    for record in stores.users.list(args.domain):
        line = f"{record.user}@{record.domain}  algorithms: {', '.join(record.ha1)}"
        forwarding = forwards.get((record.user, record.domain.lower()))
        if forwarding is not None:
            line += f"  forwards: {forwarding.describe()}"
        print(line)


def _forward(stores: Stores, args: argparse.Namespace) -> None:
    user, domain = args.address
    if not stores.users.exists(user, domain):
        raise UserError(f"{user}@{domain} does not exist")
    if args.clear or args.after is not None or any(getattr(args, k) is not None for k in KINDS):
        current = None if args.clear else stores.forwarding.find(user, domain)
        stores.forwarding.set(user, domain, _changed(current or Forwarding(), args))
    shown = stores.forwarding.find(user, domain) or Forwarding()
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
