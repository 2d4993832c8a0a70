"""`sipwarden check-config FILE` and `sipwarden explain`: routing tools for admins.

`check-config` loads the file as `sipwarden run` would and compiles its routing tables; it
prints every error as `FILE:LINE: what is wrong` (exit 1) or `FILE: ok, N rules, M gateway
groups` (exit 0). `explain` runs one made-up request through the rules and prints the trace:
each rule tried, every rewrite and header edit, and the outcome, with the failover order of
any gateway group (all destinations taken as up). Nothing is sent, no database is opened:
a `lookup` says which URI would be looked up. Domains are local when listed in `[server]
domains` (the running proxy also counts its own addresses).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime

from sipwarden.config import Config, ConfigError, load_config
from sipwarden.errors import ParseError
from sipwarden.routing import (
    Forward,
    Rejected,
    RequestView,
    Routing,
    SelectionState,
    build_view,
    compile_rules,
)
from sipwarden.routing.request import uri_parts

COMMANDS = ("check-config", "explain")
EXPLAIN_SEED = 0  # weighted selection in `explain` uses a fixed seed, so its output is stable


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `check-config` and `explain` on the top-level subparsers."""
    check = subparsers.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file", help="the TOML configuration file")
    explain = subparsers.add_parser(
        "explain",
        help="show how the rules route a request, without sending anything",
        description="Run one request through the routing rules and print each step.",
    )
    explain.add_argument("--config", required=True, help="the TOML configuration file")
    explain.add_argument(
        "request", metavar="'METHOD URI'", help="e.g. 'INVITE sip:+4930123@example.com'"
    )
    explain.add_argument(
        "--from", dest="from_uri", metavar="URI", help="From URI (default: the Request-URI)"
    )
    explain.add_argument(
        "--to", dest="to_uri", metavar="URI", help="To URI (default: the Request-URI)"
    )
    explain.add_argument(
        "--source", default="127.0.0.1", help="source IP address (default 127.0.0.1)"
    )
    explain.add_argument("--transport", default="udp", choices=("udp", "tcp", "tls", "ws", "wss"))
    explain.add_argument("--user", help="the user the request authenticated as")
    explain.add_argument(
        "--tls-name",
        dest="tls_names",
        action="append",
        default=[],
        metavar="NAME",
        help="a TLS peer certificate name or sha256: fingerprint (repeatable)",
    )
    explain.add_argument(
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header of the request (repeatable)",
    )
    explain.add_argument("--call-id", default="explain@sipwarden", help="Call-ID, for hash_call_id")
    explain.add_argument(
        "--at", help="local time of the request, ISO 8601 (naive: UTC; default: now)"
    )


def run(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        return check_config(args.file)
    return explain(args)


def check_config(file: str) -> int:
    loaded = _load(file)
    if loaded is None:
        return 1
    print(f"{file}: ok, {loaded[1].summary()}")
    return 0


def _load(file: str) -> tuple[Config, Routing] | None:
    """The config and its routing, or None after printing every error."""
    try:
        config = load_config(file)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return None
    compiled = compile_rules(config)
    if isinstance(compiled, Rejected):
        for problem in compiled.errors:
            print(problem, file=sys.stderr)
        return None
    return config, compiled


def explain(args: argparse.Namespace) -> int:
    loaded = _load(args.config)
    if loaded is None:
        return 1
    config, routing = loaded
    try:
        view = _view(args, routing, frozenset(config.server.domains))
        now = _when(args.at)
    except (ParseError, ValueError) as error:
        print(f"sipwarden: explain: {_why(error)}", file=sys.stderr)
        return 1
    decision = routing.rules.decide(view, now)
    print(decision.explain())
    if isinstance(decision.action, Forward):
        _print_gateways(routing, decision.action, view)
    return 0


def _why(error: Exception) -> str:
    return error.reason if isinstance(error, ParseError) else str(error)


def _view(args: argparse.Namespace, routing: Routing, domains: frozenset[str]) -> RequestView:
    method, _, ruri = args.request.strip().partition(" ")
    if not ruri.strip():
        raise ValueError(f"expected 'METHOD URI', got {args.request!r}")
    ruri = ruri.strip()
    from_uri = args.from_uri or ruri
    peer = routing.trust.match(args.source, args.tls_names)
    headers = _headers(args.headers)
    return build_view(
        method,
        ruri,
        from_uri,
        args.to_uri,
        source=args.source,
        transport=args.transport,
        authenticated=args.user,
        from_local=uri_parts(from_uri)[1] in domains,
        ruri_local=uri_parts(ruri)[1] in domains,
        trusted=peer,
        call_id=args.call_id,
        headers=lambda name: headers.get(name.lower(), ()),
    )


def _headers(lines: list[str]) -> dict[str, tuple[str, ...]]:
    headers: dict[str, tuple[str, ...]] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"expected --header 'Name: value', got {line!r}")
        key = name.strip().lower()
        headers[key] = (*headers.get(key, ()), value.strip())
    return headers


def _when(at: str | None) -> float:
    if at is None:
        return datetime.now(UTC).timestamp()
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _print_gateways(routing: Routing, action: Forward, view: RequestView) -> None:
    state = SelectionState(lambda _: True, random.Random(EXPLAIN_SEED).random)
    for name in action.gateways:
        group = routing.gateways[name]
        order = group.order(view.call_id, view.from_user, state)
        print(f"gateway group {name} ({group.selection.value}), all destinations up:")
        for number, destination in enumerate(order, start=1):
            print(f"  {number}. {destination.target_for(action.uri)}")
