"""The dashboard of a real `sipwarden run`, in headless Chromium (issue #8): it shows a
registration made by SIPp, shows the ban after an OPTIONS flood, and its Lift button lifts the
ban in the running server (the flooding address is answered again)."""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import run
from tests.integration.security.sipclient import SipClient
from tests.integration.server.process import Running, free_port, running, sipwarden
from tests.integration.server.test_register_sipp import SIPP, sipp

CHROMIUM = Path("/usr/bin/chromium")
ADMIN = re.compile(r"admin API and dashboard on (http://\S+)")
PASSWORD = "alice-pass-7"

async_api = pytest.importorskip(
    "playwright.async_api", reason="playwright is not installed (pip install playwright)"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="chromium is not installed (apt-get install -y chromium)",
    ),
]


def admin_url(server: Running) -> str:
    for line in server.log:
        found = ADMIN.search(line)
        if found:
            return found.group(1)
    raise AssertionError("no admin line in the log:\n" + "".join(server.log))


def banned(url: str) -> list[str]:
    """The addresses `/api/bans` lists."""
    with urllib.request.urlopen(url + "/api/bans", timeout=5) as reply:  # our loopback server
        return [ban["ip"] for ban in json.loads(reply.read())["items"]]


async def browse(url: str, flooder: str) -> None:
    expect = async_api.expect
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(10_000)
            await page.goto(url + "/")
            await expect(page.locator("#registrations tbody")).to_contain_text("alice")
            bans = page.locator("#bans tbody tr")
            await expect(bans.first).to_contain_text(flooder)
            await expect(page.locator("#events")).to_contain_text("flood")
            await bans.first.get_by_role("button", name="Lift").click()
            await expect(page.locator("#bans tbody tr", has_text=flooder)).to_have_count(0)
        finally:
            await browser.close()


def test_dashboard_shows_a_registration_and_a_ban_and_lifts_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = sipwarden(
        "users", "add", "alice@127.0.0.1", "--password", PASSWORD, "--data-dir", str(data)
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    args = ["--data-dir", str(data), "--listen", f"udp:127.0.0.1:{port}"]
    with running(args, cwd=tmp_path) as server:
        url = admin_url(server)
        registered = sipp(tmp_path, "register_ok.xml", port, "u1", "alice", PASSWORD, free_port())
        assert registered.returncode == 0
        flooder = SipClient("127.0.0.12", port, timeout=0.2)
        try:
            while flooder.options() is not None:  # the default limit: 20 OPTIONS in 10 s
                pass
            assert banned(url) == ["127.0.0.12"]
            run(browse(url, "127.0.0.12"), timeout=60)
            reply = flooder.options()  # lifted: the address is answered again
            assert reply is not None and reply.status == 200
            assert banned(url) == []
        finally:
            flooder.close()
