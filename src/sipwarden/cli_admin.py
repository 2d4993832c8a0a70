"""`sipwarden admin token`: print the admin API token, creating it when missing.

The token lives in `[admin] token_file`, else `admin.token` in the data directory (`--data-dir`,
else `[server] data_dir` of `--config`), mode 0600. `--new` replaces it (the old one stops
working once the server restarts). Errors print one line `sipwarden: admin token: ...`, exit 1.
"""

from __future__ import annotations

import argparse
import sys

from sipwarden.admin.token import create_token, token_path
from sipwarden.config import Overrides, load_config
from sipwarden.errors import LocalError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `admin` and its verbs on the top-level subparsers."""
    admin = subparsers.add_parser("admin", help="admin API credentials")
    verbs = admin.add_subparsers(dest="admin_command", metavar="VERB", required=True)
    token = verbs.add_parser(
        "token",
        help="print the admin API token (created when missing)",
        description="Print the bearer token of the admin API, creating it (mode 0600) when"
        " missing. Use it as `Authorization: Bearer TOKEN` (docs/admin.md).",
    )
    token.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data directory (default: from --config, else ./sipwarden-data)",
    )
    token.add_argument("--config", metavar="FILE", help="configuration file ([admin] token_file)")
    token.add_argument("--new", action="store_true", help="replace the token with a new one")


def run(args: argparse.Namespace) -> int:
    """Run the `admin` verb in `args`; 0 on success, 1 with a one-line error on stderr."""
    try:
        config = load_config(args.config, Overrides(data_dir=args.data_dir))
        path = token_path(config)
        print(create_token(path, replace=args.new))
    except (LocalError, OSError) as exc:
        print(f"sipwarden: admin {args.admin_command}: {exc}", file=sys.stderr)
        return 1
    return 0
