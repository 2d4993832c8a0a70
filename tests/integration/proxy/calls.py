"""What the call tests share: the accounts, running `sipwarden run` for them, registered SIPp
phones, and one assertion over several SIPp runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.proxy.sippctl import Account, Proxy, Result, Sipp, phone, register
from tests.integration.server.process import free_port, running

ALICE = Account("alice", "alice-pass-1")
BOB = Account("bob", "bob-pass-2")
CAROL = Account("carol", "carol-pass-3")
DAVE = Account("dave", "dave-pass-4")
ACCOUNTS = (ALICE, BOB, CAROL, DAVE)
UNKNOWN = "mallory"  # no account


def passed(*results: Result) -> None:
    """Every SIPp run passed; else all their logs in the message."""
    assert all(r.ok for r in results), "\n".join(r.describe() for r in results)


@contextmanager
def registered_phone(
    workdir: Path, proxy: Proxy, account: Account, scenario: str, name: str
) -> Iterator[Sipp]:
    """`account` registers from a free port, then `scenario` answers on that port."""
    port = free_port()
    passed(register(workdir, proxy, account, port, name=f"{name}-register"))
    with phone(workdir, name, scenario, proxy, port) as sipp:
        yield sipp


@contextmanager
def serve(data_dir: Path, cwd: Path, transport: str, *extra: str) -> Iterator[Proxy]:
    """`sipwarden run` on UDP and TCP 127.0.0.1:<free port>; phones use `transport`."""
    port = free_port()
    args = ["--data-dir", str(data_dir), *extra]
    args += ["--listen", f"udp:127.0.0.1:{port}", "--listen", f"tcp:127.0.0.1:{port}"]
    with running(args, cwd=cwd) as server:
        try:
            yield Proxy("127.0.0.1", port, transport)
        finally:
            server.stop()
