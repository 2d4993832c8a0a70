"""start_admin / stop_admin on a real loopback socket, port 0; the [admin] config and --admin."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import aiohttp
import pytest

from sipwarden.admin import AdminError, start_admin, stop_admin
from sipwarden.admin.fake import FakeBackend
from sipwarden.cli import main
from sipwarden.config import AdminSection, Config, ConfigError, Overrides, load_config
from sipwarden.observe.metrics import Metrics
from sipwarden.observe.rates import RateHistory
from tests.integration.conftest import run


def _config(listen: str, data_dir: Path) -> Config:
    return dataclasses.replace(
        Config(),
        server=dataclasses.replace(Config().server, data_dir=str(data_dir)),
        admin=AdminSection(listen=listen),
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_start_serve_stop(host: str, tmp_path: Path) -> None:
    backend, metrics, history = FakeBackend(), Metrics(), RateHistory(step=0.05)
    metrics.request("OPTIONS", "udp")

    async def go() -> tuple[int, str]:
        server = await start_admin(
            backend, backend.bus, metrics, _config(f"{host}:0", tmp_path), history=history
        )
        try:
            assert server.port != 0
            async with (
                aiohttp.ClientSession() as session,
                session.get(server.url + "/api/status") as response,
            ):
                status = response.status
            async with (
                aiohttp.ClientSession() as session,
                session.get(server.url + "/metrics") as response,
            ):
                text = await response.text()
        finally:
            await stop_admin(server)
        return status, text

    status, text = run(go())
    assert status == 200
    assert "sipwarden_requests_total" in text
    assert history.snapshot()["step"] == 0.05


def test_start_refuses_off_loopback_without_credentials(tmp_path: Path) -> None:
    backend = FakeBackend()

    async def go() -> None:
        await start_admin(backend, backend.bus, Metrics(), _config("0.0.0.0:0", tmp_path))

    with pytest.raises(AdminError, match="not loopback-only"):
        run(go())


def test_config_section_and_flag(tmp_path: Path) -> None:
    path = tmp_path / "sipwarden.toml"
    path.write_text('[admin]\nlisten = "127.0.0.1:9090"\ntoken_file = "t"\n', encoding="utf-8")
    config = load_config(path)
    assert config.admin.listen == "127.0.0.1:9090"
    assert config.admin.token_file == str(tmp_path / "t")  # relative to the file
    assert load_config(path, Overrides(admin="[::1]:8089")).admin.listen == "[::1]:8089"
    with pytest.raises(ConfigError, match=r"^--admin: .*got \"nowhere\""):
        load_config(None, Overrides(admin="nowhere"))
    with pytest.raises(ConfigError, match="in brackets"):
        load_config(None, Overrides(admin="::1:8088"))


def test_cli_admin_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "token", "--data-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    assert (tmp_path / "admin.token").read_text(encoding="utf-8").strip() == token
    assert main(["admin", "token", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == token
    assert main(["admin", "token", "--data-dir", str(tmp_path), "--new"]) == 0
    assert capsys.readouterr().out.strip() != token


def test_cli_admin_token_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert main(["admin", "token", "--data-dir", str(blocker / "sub")]) == 1
    assert capsys.readouterr().err.startswith("sipwarden: admin token: ")
