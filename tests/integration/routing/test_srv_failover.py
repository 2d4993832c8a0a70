"""RFC 3263 in the running proxy: a call to a foreign domain is located through NAPTR-less SRV
records served by a DNS server on loopback (`[dns] nameservers`), and when the first SRV
target answers 503 the call fails over to the next one (RFC 3263 §4.3) and connects."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.integration.dns.dnsserver import DnsServer, dns_server
from tests.integration.proxy.calls import ALICE, passed
from tests.integration.proxy.sippctl import SIPP, Proxy, credentials, phone, run
from tests.integration.server.process import free_port, running, sipwarden

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]


@contextmanager
def dns_in_thread(zone: dict[tuple[str, str], tuple[int, list[str]]]) -> Iterator[DnsServer]:
    """The loopback DNS server of tests/integration/dns, on its own loop in a thread."""
    loop = asyncio.new_event_loop()
    ready: list[DnsServer] = []
    started, stop = threading.Event(), asyncio.Event()

    async def serve() -> None:
        async with dns_server(zone) as server:
            ready.append(server)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        assert started.wait(5), "the DNS server did not start"
        yield ready[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()


def test_srv_failover_from_a_503_target_to_the_next(tmp_path: Path) -> None:
    busy_port, good_port = free_port(), free_port()
    zone = {
        ("_sip._udp.carrier.test", "SRV"): (
            60,
            [f"10 0 {busy_port} busy.carrier.test.", f"20 0 {good_port} good.carrier.test."],
        ),
        ("busy.carrier.test", "A"): (60, ["127.0.0.1"]),
        ("good.carrier.test", "A"): (60, ["127.0.0.1"]),
    }
    data = tmp_path / "data"
    added = sipwarden(
        "users", "add", "alice@127.0.0.1", "--password", ALICE.password, "--data-dir", str(data)
    )
    assert added.returncode == 0, added.stderr
    with dns_in_thread(zone) as dns, ExitStack() as stack:
        config = tmp_path / "sipwarden.toml"
        config.write_text(f'[dns]\nnameservers = ["127.0.0.1:{dns.port}"]\ntimeout = 1.0\n')
        port = free_port()
        args = ["--data-dir", str(data), "--config", str(config)]
        stack.enter_context(running([*args, "--listen", f"udp:127.0.0.1:{port}"], cwd=tmp_path))
        proxy = Proxy("127.0.0.1", port, "u1")
        busy = stack.enter_context(phone(tmp_path, "busy", "gw_uas_503.xml", proxy, busy_port))
        good = stack.enter_context(phone(tmp_path, "good", "call_uas.xml", proxy, good_port))
        inf = credentials(tmp_path, ALICE)
        extra = ["-inf", str(inf), "-s", "bob", "-auth_uri", "bob@carrier.test"]
        caller = run(tmp_path, "alice", "call_uac_foreign.xml", proxy, free_port(), *extra)
        passed(caller, busy.wait(), good.wait())
        assert dns.count("_sip._udp.carrier.test", "SRV") >= 1
