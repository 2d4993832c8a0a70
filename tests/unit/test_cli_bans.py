"""`sipwarden bans ...`: in-process through cli.main, and once as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sipwarden import cli
from sipwarden.security import Ban
from sipwarden.security.store import SqliteBanStore
from sipwarden.storage.sqlite import connect, database_path

LINE = re.compile(
    r"^(?P<ip>\S+)  (?P<reason>.+)  since \S+Z  (?P<until>until \S+Z|until removed)"
    r"  offences (?P<offences>\d+)  by (?P<by>\S+)$"
)


@pytest.fixture
def data(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def bans(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["bans", *args])
    out, err = capsys.readouterr()
    return code, out, err


def stored(data_dir: str) -> tuple[list[Ban], list[tuple[str, bool]]]:
    conn = connect(database_path(data_dir))
    try:
        store = SqliteBanStore(conn)
        changes = asyncio.run(store.changes(0))
        return asyncio.run(store.load()), [(c.ip, c.ban is not None) for c in changes]
    finally:
        conn.close()


def test_add_list_remove(capsys: pytest.CaptureFixture[str], data: str) -> None:
    before = time.time()
    assert bans(capsys, "add", "192.0.2.7", "--for", "3600", "--reason", "abuse report",
                "--data-dir", data) == (0, "banned 192.0.2.7 for 3600 s\n", "")  # fmt: skip
    assert bans(capsys, "add", "2001:DB8::1", "--data-dir", data) == (
        0,
        "banned 2001:db8::1 until removed\n",
        "",
    )
    code, out, err = bans(capsys, "list", "--data-dir", data)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    first, second = (LINE.match(line) for line in lines)
    assert first is not None and second is not None
    assert (first["ip"], first["reason"], first["by"]) == ("192.0.2.7", "abuse report", "cli")
    assert first["until"].startswith("until 20")
    assert (second["ip"], second["until"]) == ("2001:db8::1", "until removed")
    (ban, permanent), log = stored(data)
    assert before <= ban.since <= time.time()
    assert ban.until == pytest.approx(ban.since + 3600)
    assert permanent.until is None
    assert log == [("192.0.2.7", True), ("2001:db8::1", True)]
    assert bans(capsys, "remove", "192.0.2.7", "--data-dir", data) == (
        0,
        "lifted the ban of 192.0.2.7\n",
        "",
    )
    assert stored(data)[1][-1] == ("192.0.2.7", False)
    assert [m["ip"] for m in map(LINE.match, bans(capsys, "list", "--data-dir", data)[1]
            .splitlines()) if m] == ["2001:db8::1"]  # fmt: skip


def test_list_hides_expired_bans(capsys: pytest.CaptureFixture[str], data: str) -> None:
    conn = connect(database_path(data))
    try:
        store = SqliteBanStore(conn)
        asyncio.run(store.save(Ban("192.0.2.1", 1.0, 2.0, "flood", 1)))
    finally:
        conn.close()
    assert bans(capsys, "list", "--data-dir", data) == (0, "", "")


def test_remove_of_an_address_not_banned(capsys: pytest.CaptureFixture[str], data: str) -> None:
    assert bans(capsys, "remove", "192.0.2.8", "--data-dir", data) == (
        1,
        "",
        "sipwarden: bans remove: 192.0.2.8 is not banned\n",
    )
    assert stored(data)[1] == []


def test_allow_listed_address_cannot_be_banned(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "sipwarden.toml"
    config.write_text('[server]\ndata_dir = "d"\n[security]\nallow = ["10.0.0.0/8"]\n')
    assert bans(capsys, "add", "10.1.2.3", "--config", str(config)) == (
        1,
        "",
        "sipwarden: bans add: 10.1.2.3 is allow-listed or a trusted peer: it cannot be banned\n",
    )
    assert stored(str(tmp_path / "d")) == ([], [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "example.com"], "argument IP: 'example.com' is not an IP address"),
        (["add", "192.0.2.1", "--for", "0"], "expected a number of seconds > 0, got '0'"),
        (["add", "192.0.2.1", "--for", "soon"], "expected a number of seconds > 0, got 'soon'"),
        (["remove", "1.2.3"], "'1.2.3' is not an IP address"),
    ],
)
def test_bad_arguments(
    capsys: pytest.CaptureFixture[str], data: str, args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["bans", *args, "--data-dir", data])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_bad_config_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[security]\nflood_options = 0\n")
    code, out, err = bans(capsys, "list", "--config", str(config))
    assert (code, out) == (1, "")
    assert err == (
        f"sipwarden: bans list: {config}:2: [security] flood_options:"
        " expected an integer >= 1, got 0\n"
    )


def test_subprocess_round_trip(data: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sipwarden", "bans", *args, "--data-dir", data],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ.copy(),
        )

    added = run("add", "198.51.100.4", "--for", "60")
    assert (added.returncode, added.stdout, added.stderr) == (
        0,
        "banned 198.51.100.4 for 60 s\n",
        "",
    )
    listed = run("list")
    match = LINE.match(listed.stdout.strip())
    assert match is not None and match["ip"] == "198.51.100.4"
    assert run("remove", "198.51.100.4").stdout == "lifted the ban of 198.51.100.4\n"
    assert run("list").stdout == ""


def test_state_sqlite_url(capsys: pytest.CaptureFixture[str], tmp_path: Path, data: str) -> None:
    url = f"sqlite://{tmp_path}/state/bans.db"
    args = ("--state", url, "--data-dir", data)
    assert bans(capsys, "add", "192.0.2.7", *args) == (0, "banned 192.0.2.7 until removed\n", "")
    assert bans(capsys, "list", *args)[1].startswith("192.0.2.7  admin  since ")
    assert bans(capsys, "list", "--data-dir", data) == (0, "", "")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("postgresql://127.0.0.1/test", "--state: unsupported store URL (scheme 'postgresql'); "),
        ("redis://127.0.0.1:6379/x", "--state: redis URL database must be a number, got 'x'"),
    ],
)
def test_bad_state_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], data: str, url: str, error: str
) -> None:
    code, out, err = bans(capsys, "list", "--state", url, "--data-dir", data)
    assert (code, out) == (1, "")
    assert err.startswith(f"sipwarden: bans list: {error}")
    assert err.count("\n") == 1
