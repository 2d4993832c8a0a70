"""The `sipwarden` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sipwarden import __version__, cli_admin, cli_bans, cli_cdr, cli_routing, cli_users
from sipwarden.build import build_info
from sipwarden.server import command as run_command


def _version() -> str:
    """ "sipwarden 0.1.0 (compiled)": the release and which build runs (sipwarden.build)."""
    return f"sipwarden {__version__} ({build_info()})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sipwarden", description="sipwarden SIP proxy server")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run_command.add_parser(commands)
    commands.add_parser("version", help="print the version")
    cli_users.add_parser(commands)
    cli_bans.add_parser(commands)
    cli_routing.add_parser(commands)
    cli_admin.add_parser(commands)
    cli_cdr.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "users":
        return cli_users.run(args)
    if args.command == "bans":
        return cli_bans.run(args)
    if args.command == "admin":
        return cli_admin.run(args)
    if args.command == "cdr":
        return cli_cdr.run(args)
    if args.command in cli_routing.COMMANDS:
        return cli_routing.run(args)
    if args.command == "run":
        return run_command.run(args)
    if args.command in ("version", None):
        print(_version())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
