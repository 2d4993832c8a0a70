"""The `sipwarden` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sipwarden import __version__, cli_users


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sipwarden", description="sipwarden SIP proxy server")
    parser.add_argument("--version", action="version", version=f"sipwarden {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the proxy (so far: prints the version and exits)")
    commands.add_parser("version", help="print the version")
    cli_users.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "users":
        return cli_users.run(args)
    if args.command in ("run", "version", None):
        # The server itself arrives with the transport layer; until then `run` says what it is.
        print(f"sipwarden {__version__}")
        if args.command == "run":
            print("the proxy core is not wired to sockets yet: nothing to serve, exiting")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
