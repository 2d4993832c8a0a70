"""The dashboard in a real headless Chromium (Playwright driving Debian's /usr/bin/chromium).

It loads, shows a registration and the cluster's nodes from the backend, shows a ban and a
security event pushed through the bus, and its Lift button calls the API and the ban
disappears. The screenshot for the README, docs/dashboard.png, is written when missing or when
SIPWARDEN_UPDATE_SCREENSHOT=1 (so an ordinary run leaves the working tree alone).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from sipwarden.admin import start_admin, stop_admin
from sipwarden.admin.fake import FakeBackend
from sipwarden.config import AdminSection, Config
from sipwarden.observe.events import Event
from sipwarden.observe.metrics import Metrics
from tests.integration.admin.helpers import fake_backend
from tests.integration.conftest import run

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).parents[3] / "docs" / "dashboard.png"
TIMEOUT_MS = 10_000
ALICE = "alice@example.com"

async_api = pytest.importorskip(
    "playwright.async_api", reason="playwright is not installed (pip install playwright)"
)
if not CHROMIUM.exists() and shutil.which("chromium") is None:
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow


def _traffic(backend: FakeBackend, now: float) -> None:
    """An hour of plausible rates, so the charts in the screenshot have something to show."""
    totals = {"INVITE": 0.0, "REGISTER": 0.0, "OPTIONS": 0.0, "BYE": 0.0}
    answers = {"1xx": 0.0, "2xx": 0.0, "4xx": 0.0, "5xx": 0.0}
    for step in range(361):
        wave = 1 + 0.5 * math.sin(step / 30)
        for method, rate in (("INVITE", 2.0), ("REGISTER", 6.0), ("OPTIONS", 3.0), ("BYE", 1.8)):
            totals[method] += rate * wave * 10
        burst = 8.0 if 250 < step < 262 else 0.4
        for status, rate in (("1xx", 3.5), ("2xx", 9.5), ("4xx", burst), ("5xx", 0.05)):
            answers[status] += rate * wave * 10
        at = now - 3600 + step * 10
        backend.history.sample(at, {"requests": dict(totals), "responses": dict(answers)})


def _arrange(now: float) -> FakeBackend:
    backend = fake_backend()
    backend.clock = lambda: now
    backend.started_at = now - 3 * 86400 - 5 * 3600
    backend.active_calls[0].update(started=now - 185, answered=now - 181)
    backend.registered[0]["expires"] = now + 3300
    backend.registered[1].update(expires=now + 1800, user_agent="Zoiper rv2.10")
    history = [
        {"at": now - 600 + 30 * n, "up": n not in (7, 8), "latency": 0.03} for n in range(20)
    ]
    backend.gateway_health[0]["history"] = history
    backup = {"name": "backup", "address": "sip:gw2.example.net", "up": False, "latency": None}
    backend.gateway_health.append({**backup, "since": now - 120, "history": history[:5]})
    backend.cluster_nodes[0]["last_seen"] = now - 1
    backend.cluster_nodes[1]["last_seen"] = now - 42
    _traffic(backend, now)
    return backend


async def _browse(backend: FakeBackend, config: Config, now: float, shot: Path) -> list[str]:
    errors: list[str] = []
    server = await start_admin(backend, backend.bus, Metrics(), config)
    try:
        async with async_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1100})
                page.set_default_timeout(TIMEOUT_MS)
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on(
                    "console",
                    lambda msg: errors.append(msg.text) if msg.type == "error" else None,
                )
                await _scenario(page, backend, server.url, now, shot)
            finally:
                await browser.close()
    finally:
        await stop_admin(server)
    return errors


async def _scenario(page: object, backend: FakeBackend, url: str, now: float, shot: Path) -> None:
    expect = async_api.expect
    await page.goto(url + "/")  # type: ignore[attr-defined]
    registrations = page.locator("#registrations tbody")  # type: ignore[attr-defined]
    await expect(registrations).to_contain_text("sip:alice@example.com")
    await expect(page.locator("#live-text")).to_have_text("live")  # type: ignore[attr-defined]
    nodes = page.locator("#nodes tbody tr")  # type: ignore[attr-defined]
    await expect(nodes).to_have_count(2)
    await expect(nodes.nth(0)).to_contain_text("pbx/udp:127.0.0.1:5060")
    await expect(nodes.nth(0)).to_contain_text("alive")
    await expect(nodes.nth(0).locator("td").nth(3)).to_have_text(re.compile(r"^\d+s ago$"))
    await expect(nodes.nth(1)).to_contain_text("silent")
    await expect(nodes.nth(1)).to_contain_text("storage: unavailable: timed out")
    await expect(page.locator("#nodes-empty")).to_be_hidden()  # type: ignore[attr-defined]

    for n in range(4):
        failure = Event(now - 40 + n, "auth_failure", "wrong_password", "203.0.113.66", ALICE)
        backend.bus.publish(failure)
    backend.bus.publish(Event(now - 20, "reject", "scanner.user_agent", "198.51.100.23"))
    await backend.add_ban("198.51.100.7", 600, "flood.register")
    bans = page.locator("#bans tbody tr")  # type: ignore[attr-defined]
    await expect(bans).to_have_count(1)
    await expect(bans.first).to_contain_text("198.51.100.7")
    events = page.locator("#events")  # type: ignore[attr-defined]
    await expect(events).to_contain_text("flood.register")
    await expect(events).to_contain_text("wrong_password")
    await expect(page.locator("#offenders tbody")).to_contain_text("203.0.113.66")  # type: ignore[attr-defined]
    await page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]

    await bans.first.get_by_role("button", name="Lift").click()
    await expect(bans).to_have_count(0)
    await expect(page.locator("#bans-empty")).to_be_visible()  # type: ignore[attr-defined]
    assert ("lift_ban", ("198.51.100.7",)) in backend.calls_made
    assert "198.51.100.7" not in backend.banned
    await expect(events).to_contain_text("unban")


def test_dashboard_in_headless_chromium(tmp_path: Path) -> None:
    now = time.time()
    backend = _arrange(now)
    config = dataclasses.replace(
        Config(),
        server=dataclasses.replace(Config().server, data_dir=str(tmp_path)),
        admin=AdminSection(listen="127.0.0.1:0"),
    )
    shot = tmp_path / "dashboard.png"
    errors = run(_browse(backend, config, now, shot), timeout=90)
    assert errors == []
    assert shot.stat().st_size > 10_000
    if not SCREENSHOT.exists() or os.environ.get("SIPWARDEN_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)
