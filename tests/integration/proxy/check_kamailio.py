#!/usr/bin/env python3
"""Run the call checks of this directory against Kamailio, the reference proxy: proof that
the SIPp scenarios (and baresip) are right before blaming sipwarden. Not a pytest module.

For each check and transport: a fresh Kamailio (kamailio_calls.cfg on a free port, accounts
of calls.ACCOUNTS in a db_text table, in-memory usrloc, so no stale bindings), then the same
function the pytest module runs, then Kamailio is stopped (its process group).

Usage (from the repository root):
    python -m tests.integration.proxy.check_kamailio [--transports u1,t1] [--auth] [CHECK...]
--auth challenges INVITEs (407) like sipwarden; without it, like the shared registrar.cfg.
Needs kamailio, sipp and, for the baresip checks, baresip.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.proxy import test_baresip, test_calls_sipp
from tests.integration.proxy.calls import ACCOUNTS
from tests.integration.proxy.sippctl import Proxy, bound
from tests.integration.server.process import free_port

HERE = Path(__file__).parent
Check = Callable[[Path, Proxy], None]
CHECKS: dict[str, Check] = {
    "two_users_call": test_calls_sipp.two_users_call,
    "forked_call": test_calls_sipp.forked_call,
    "cancelled_call": test_calls_sipp.cancelled_call,
    "busy_forwarded_call": test_calls_sipp.busy_forwarded_call,
    "max_forwards_zero": test_calls_sipp.max_forwards_zero,
    "offline_and_unknown": test_calls_sipp.offline_and_unknown,
    "spiral": test_calls_sipp.spiral,
    "baresip_calls_sipp": test_baresip.baresip_calls_sipp,
    "sipp_calls_baresip": test_baresip.sipp_calls_baresip,
}
SUBSCRIBER_HEADER = (
    "id(int,auto) username(string) domain(string) password(string) "
    "ha1(string,null) ha1b(string,null) \n"
)


def write_tables(directory: Path) -> None:
    """db_text tables `version` and `subscriber` (plain passwords) for auth_db."""
    directory.mkdir()
    (directory / "version").write_text(
        "id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n"
    )
    rows = [f"{i}:{a.user}:{a.domain}:{a.password}::\n" for i, a in enumerate(ACCOUNTS, 1)]
    (directory / "subscriber").write_text(SUBSCRIBER_HEADER + "".join(rows))


@contextmanager
def kamailio(workdir: Path, auth: bool) -> Iterator[int]:
    """Kamailio on UDP and TCP 127.0.0.1:<free port>; yields the port."""
    port = free_port()
    config = workdir / "kamailio.cfg"
    config.write_text((HERE / "kamailio_calls.cfg").read_text().replace("@PORT@", str(port)))
    write_tables(workdir / "dbtext")
    argv = ["kamailio", "-f", str(config), "-DD", "-E", "-m", "128", "-M", "16", "-x", "fm"]
    argv += ["-Y", str(workdir), "-w", str(workdir)]
    argv += ["-A", f'DBURL="text://{workdir / "dbtext"}"'] + (["-A", "AUTH_CALLS"] if auth else [])
    with (workdir / "kamailio.log").open("wb") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_bound(port, process)
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_bound(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Until UDP and TCP 127.0.0.1:`port` are bound."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kamailio exited with status {process.returncode}")
        if bound(port, "u1") and bound(port, "t1"):
            time.sleep(0.3)  # the UDP workers finish initialising
            return
        time.sleep(0.05)
    raise RuntimeError(f"kamailio did not bind port {port} in {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--transports", default="u1,t1")
    parser.add_argument("--auth", action="store_true", help="challenge INVITEs (407)")
    parser.add_argument("checks", nargs="*", choices=[[], *CHECKS], default=[])
    args = parser.parse_args()
    failed = 0
    for transport in args.transports.split(","):
        for name in args.checks or CHECKS:
            workdir = Path(tempfile.mkdtemp(prefix=f"kamailio-{name}-{transport}-"))
            try:
                with kamailio(workdir, args.auth) as port:
                    CHECKS[name](workdir, Proxy("127.0.0.1", port, transport))
                print(f"PASS {name} {transport} ({workdir})", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {name} {transport} ({workdir})", flush=True)
                traceback.print_exc(limit=-1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
