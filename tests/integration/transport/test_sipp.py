"""SIPp as a real peer: an OPTIONS UAC against the UDP responder (`tests/integration/sipp`)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import run, udp_responder

SCENARIO = Path(__file__).parent.parent / "sipp" / "options_uac.xml"
SIPP = shutil.which("sipp")

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed"),
]


async def sipp_against_udp(workdir: Path) -> int:
    async with udp_responder("127.0.0.1") as server:
        assert SIPP is not None
        process = await asyncio.create_subprocess_exec(
            *(SIPP, "-sf", str(SCENARIO), "-m", "5", "-t", "u1", "-i", "127.0.0.1", "-p", "0"),
            *("-timeout", "10s", "-nostdin"),
            f"127.0.0.1:{server.local.port}",
            cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await process.wait()


def test_sipp_options_over_udp(tmp_path: Path) -> None:
    assert run(sipp_against_udp(tmp_path), timeout=30) == 0
