"""SIPp as a real peer over TCP (`-t t1`: one connection for every call, RFC 3261 §18.3 framing).

SIPp as UAC sends OPTIONS pipelined on one connection to the hub's TCP listener; as UAS
(`options_uas_tcp.xml`) it answers OPTIONS the hub sends, which makes the hub open an outbound
connection and read the 200 back on it.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest

from sipwarden.sip import Response
from sipwarden.transport.address import Address, Destination
from tests.integration.transport.test_tcp import Responder, options, responder, run_on

SCENARIOS = Path(__file__).parent.parent / "sipp"
SIPP = shutil.which("sipp")

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed"),
]


async def sipp_uac(workdir: Path) -> tuple[int, int]:
    async with responder(["tcp:127.0.0.1:0"]) as server:
        assert SIPP is not None
        process = await asyncio.create_subprocess_exec(
            *(SIPP, "-sf", str(SCENARIOS / "options_uac.xml"), "-m", "5", "-t", "t1"),
            *("-i", "127.0.0.1", "-p", "0", "-timeout", "10s", "-nostdin"),
            f"127.0.0.1:{server.local('tcp').port}",
            cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        code = await process.wait()
        return code, len({event.connection for event in server.received})


def test_sipp_uac_options_over_tcp(tmp_path: Path) -> None:
    code, connections = run_on("asyncio", sipp_uac(tmp_path), timeout=30)
    assert code == 0 and connections == 1


async def sipp_uas(workdir: Path, port: int) -> list[int]:
    async with responder(["tcp:127.0.0.1:0"]) as server:
        assert SIPP is not None and server.hub is not None
        process = await asyncio.create_subprocess_exec(
            *(SIPP, "-sf", str(SCENARIOS / "options_uas_tcp.xml"), "-m", "2", "-t", "t1"),
            *("-i", "127.0.0.1", "-p", str(port), "-timeout", "10s", "-nostdin"),
            cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            for n in range(2):
                await ask(server, port, f"u{n}")
        finally:
            code = await process.wait()
        assert code == 0
        return [e.message.status for e in server.received if isinstance(e.message, Response)]


async def ask(server: Responder, port: int, call_id: str) -> None:
    """Send one OPTIONS to SIPp and wait for its answer; SIPp takes a moment to start
    listening, so a refused connection (reported, never delivered) is retried."""
    assert server.hub is not None
    data = options("TCP", "127.0.0.1", server.local("tcp").port, call_id)
    expected = len(server.received) + 1
    async with asyncio.timeout(10):
        while len(server.received) < expected:
            failures = len(server.failures)
            server.hub.send(data, Destination(Address("TCP", "127.0.0.1", port)))
            while len(server.received) < expected and len(server.failures) == failures:
                await asyncio.sleep(0.02)
            if len(server.failures) > failures:
                await asyncio.sleep(0.1)


def test_sipp_uas_answers_options_the_hub_sends_over_tcp(tmp_path: Path) -> None:
    assert run_on("asyncio", sipp_uas(tmp_path, free_port()), timeout=30) == [200, 200]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
