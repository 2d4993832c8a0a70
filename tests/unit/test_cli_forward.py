"""`sipwarden users forward ...`, forwarding in `users list`, and `users remove` clearing it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from sipwarden import cli
from sipwarden.storage.sqlite import connect, database_path
from sipwarden.users.forwarding import Forwarding, SqliteForwardingStore
from tests.unit.test_cli_users import console_examples

DOCS = Path(__file__).parents[2] / "docs"
ALICE = "alice@example.com"


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    directory = str(tmp_path / "data")
    for address in (ALICE, "bob@example.com"):
        assert cli.main(["users", "add", address, "--password", "pw", "--data-dir", directory]) == 0
    capsys.readouterr()
    return directory


def forward(capsys: pytest.CaptureFixture[str], data: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["users", "forward", *args, "--data-dir", data])
    out, err = capsys.readouterr()
    return code, out, err


def stored(data: str, user: str = "alice") -> Forwarding | None:
    conn = connect(database_path(data))
    try:
        return asyncio.run(SqliteForwardingStore(conn).get(user, "example.com"))
    finally:
        conn.close()


def test_show_without_forwarding(capsys: pytest.CaptureFixture[str], data: str) -> None:
    assert forward(capsys, data, ALICE) == (0, "alice@example.com: no forwarding\n", "")
    assert forward(capsys, data, ALICE, "--show") == (0, "alice@example.com: no forwarding\n", "")


def test_set_each_kind(capsys: pytest.CaptureFixture[str], data: str) -> None:
    code, out, err = forward(
        capsys,
        data,
        ALICE,
        "--always",
        "tel:+15550100",
        "--busy",
        "voicemail",
        "--no-answer",
        "sips:vm@Example.com",
        "--after",
        "12",
        "--unregistered",
        "carol@example.org",
    )
    assert (code, err) == (0, "")
    assert out == (
        "alice@example.com: always -> tel:+15550100, busy -> sip:voicemail@example.com,"
        " no-answer after 12s -> sips:vm@Example.com, unregistered -> sip:carol@example.org\n"
    )
    assert stored(data) == Forwarding(
        always="tel:+15550100",
        busy="sip:voicemail@example.com",
        no_answer="sips:vm@Example.com",
        no_answer_after=12,
        unregistered="sip:carol@example.org",
    )


def test_options_change_only_their_kind(capsys: pytest.CaptureFixture[str], data: str) -> None:
    forward(capsys, data, ALICE, "--busy", "vm", "--no-answer", "vm", "--after", "30")
    forward(capsys, data, ALICE, "--unregistered", "bob")
    assert stored(data) == Forwarding(
        busy="sip:vm@example.com",
        no_answer="sip:vm@example.com",
        no_answer_after=30,
        unregistered="sip:bob@example.com",
    )
    forward(capsys, data, ALICE, "--after", "5")
    forwarding = stored(data)
    assert forwarding is not None
    assert forwarding.no_answer_after == 5


def test_empty_value_turns_a_kind_off(capsys: pytest.CaptureFixture[str], data: str) -> None:
    forward(capsys, data, ALICE, "--busy", "vm", "--always", "bob")
    assert forward(capsys, data, ALICE, "--always", "")[1] == (
        "alice@example.com: busy -> sip:vm@example.com\n"
    )
    assert forward(capsys, data, ALICE, "--busy", "")[1] == "alice@example.com: no forwarding\n"
    assert stored(data) is None


def test_clear_then_apply(capsys: pytest.CaptureFixture[str], data: str) -> None:
    forward(capsys, data, ALICE, "--busy", "vm", "--always", "bob")
    assert forward(capsys, data, ALICE, "--clear", "--unregistered", "vm")[1] == (
        "alice@example.com: unregistered -> sip:vm@example.com\n"
    )
    assert forward(capsys, data, ALICE, "--clear") == (
        0,
        "alice@example.com: no forwarding\n",
        "",
    )
    assert stored(data) is None


def test_list_shows_forwarding(capsys: pytest.CaptureFixture[str], data: str) -> None:
    forward(capsys, data, ALICE, "--no-answer", "vm")
    assert cli.main(["users", "list", "--data-dir", data]) == 0
    assert capsys.readouterr().out == (
        "alice@example.com  algorithms: MD5, SHA-256, SHA-512-256"
        "  forwards: no-answer after 20s -> sip:vm@example.com\n"
        "bob@example.com  algorithms: MD5, SHA-256, SHA-512-256\n"
    )
    assert cli.main(["users", "list", "--domain", "example.org", "--data-dir", data]) == 0
    assert capsys.readouterr().out == ""


def test_remove_clears_forwarding(capsys: pytest.CaptureFixture[str], data: str) -> None:
    forward(capsys, data, ALICE, "--busy", "vm")
    assert cli.main(["users", "remove", ALICE, "--data-dir", data]) == 0
    assert stored(data) is None
    cli.main(["users", "add", ALICE, "--password", "pw", "--data-dir", data])
    capsys.readouterr()
    assert forward(capsys, data, ALICE)[1] == "alice@example.com: no forwarding\n"


def test_failed_remove_keeps_forwarding(capsys: pytest.CaptureFixture[str], data: str) -> None:
    conn = connect(database_path(data))
    try:
        SqliteForwardingStore(conn).set("ghost", "example.com", Forwarding(busy="sip:vm@x.example"))
    finally:
        conn.close()
    assert cli.main(["users", "remove", "ghost@example.com", "--data-dir", data]) == 1
    assert capsys.readouterr().err == "sipwarden: users remove: ghost@example.com does not exist\n"
    assert stored(data, "ghost") is not None  # the transaction was rolled back


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nobody@example.com", "--busy", "vm"], "nobody@example.com does not exist"),
        (["nobody@example.com"], "nobody@example.com does not exist"),
        ([ALICE, "--busy", "http://x"], "busy target 'http://x' is not a SIP, SIPS or tel URI"),
        ([ALICE, "--always", "sip:a@b?x=y"], "always target 'sip:a@b?x=y' has URI headers"),
        ([ALICE, "--no-answer", "a b"], "no-answer target 'a b': user 'a b' has characters"),
        ([ALICE, "--unregistered", "sip:"], "unregistered target 'sip:': "),
        ([ALICE, "--after", "10"], "--after needs a no-answer target (--no-answer URI)"),
        ([ALICE, "--no-answer", "vm", "--after", "0"], "no-answer delay must be 1 to 3600"),
        ([ALICE, "--busy", "alice"], "busy target 'sip:alice@example.com' is alice@example.com"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], data: str, args: list[str], error: str
) -> None:
    code, out, err = forward(capsys, data, *args)
    assert (code, out) == (1, "")
    assert err.startswith(f"sipwarden: users forward: {error}")
    assert err.count("\n") == 1
    assert stored(data) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alice"], "argument USER@DOMAIN: expected USER@DOMAIN, got 'alice'"),
        ([ALICE, "--after", "soon"], "argument --after: invalid int value: 'soon'"),
        ([], "the following arguments are required: USER@DOMAIN"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["users", "forward", *args])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_data_dir_from_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sipwarden.toml").write_text('[server]\ndata_dir = "conf-data"\n', encoding="utf-8")
    config = ("--config", "sipwarden.toml")
    assert cli.main(["users", "add", ALICE, "--password", "pw", *config]) == 0
    assert cli.main(["users", "forward", ALICE, "--busy", "vm", *config]) == 0
    assert stored("conf-data") == Forwarding(busy="sip:vm@example.com")
    capsys.readouterr()


def test_as_a_real_command(data: str) -> None:
    command = [sys.executable, "-m", "sipwarden", "users", "forward", ALICE, "--data-dir", data]
    done = subprocess.run(
        [*command, "--busy", "vm"], capture_output=True, text=True, timeout=30, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "alice@example.com: busy -> sip:vm@example.com\n",
        "",
    )


def test_forwarding_md_examples_work_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    examples = console_examples((DOCS / "forwarding.md").read_text(encoding="utf-8"))
    assert len(examples) >= 12
    for command, expected in examples:
        assert command[0] == "sipwarden"
        code = cli.main(command[1:])
        out, err = capsys.readouterr()
        assert out + err == expected, command
        assert code == (1 if err else 0)
