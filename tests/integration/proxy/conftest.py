"""Fixtures of the call tests: a data directory holding the accounts (made once per module
with `sipwarden users add`, copied per test), the transport, and a running sipwarden."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.proxy.calls import ACCOUNTS, serve
from tests.integration.proxy.sippctl import Proxy
from tests.integration.server.process import sipwarden


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with ACCOUNTS, made once with `sipwarden users add`."""
    directory = tmp_path_factory.mktemp("accounts") / "data"
    for account in ACCOUNTS:
        added = sipwarden(
            "users",
            "add",
            f"{account.user}@{account.domain}",
            "--password",
            account.password,
            "--data-dir",
            str(directory),
        )
        assert added.returncode == 0, added.stderr
    return directory


@pytest.fixture
def data_dir(tmp_path: Path, accounts: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(accounts, copy)
    return copy


@pytest.fixture(params=["u1", "t1"], ids=["udp", "tcp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def proxy(tmp_path: Path, data_dir: Path, transport: str) -> Iterator[Proxy]:
    with serve(data_dir, tmp_path, transport) as address:
        yield address
