"""`sipwarden users ...` with `--storage postgresql://...`: every verb on the real PostgreSQL.

Each test has a schema of its own (`?search_path=` in the URL, so the CLI migrates into it) and
the same assertions as the SQLite tests in tests/unit/test_cli_users.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sipwarden import cli
from sipwarden.auth.hashes import ha1_all
from sipwarden.storage.postgres import Database
from sipwarden.users.postgres import PostgresUserStore
from tests.integration.stores.conftest import Loop

ALICE = "alice@example.com"


@pytest.fixture
def storage(postgres_url: str, schema: str) -> str:
    """The --storage URL of this test's schema."""
    return f"{postgres_url}?search_path={schema}"


def users(capsys: pytest.CaptureFixture[str], storage: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["users", *args, "--storage", storage])
    out, err = capsys.readouterr()
    return code, out, err


def ha1_of(loop: Loop, database: Database, user: str) -> dict[str, str] | None:
    async def find() -> dict[str, str] | None:
        store = await PostgresUserStore.open(database)
        record = await store.find(user, "example.com")
        return None if record is None else record.ha1

    return loop.run(find())


def test_add_list_passwd_remove(
    capsys: pytest.CaptureFixture[str], storage: str, loop: Loop, database: Database
) -> None:
    assert users(capsys, storage, "add", "alice@Example.com", "--password", "pw1") == (
        0,
        "added alice@example.com\n",
        "",
    )
    assert ha1_of(loop, database, "alice") == ha1_all("alice", "example.com", "pw1")
    assert users(capsys, storage, "add", ALICE, "--password", "x") == (
        1,
        "",
        "sipwarden: users add: alice@example.com already exists\n",
    )
    assert users(capsys, storage, "list") == (
        0,
        "alice@example.com  algorithms: MD5, SHA-256, SHA-512-256\n",
        "",
    )
    assert users(capsys, storage, "passwd", ALICE, "--password", "pw2")[0] == 0
    assert ha1_of(loop, database, "alice") == ha1_all("alice", "example.com", "pw2")
    assert users(capsys, storage, "remove", ALICE) == (0, "removed alice@example.com\n", "")
    assert ha1_of(loop, database, "alice") is None
    assert users(capsys, storage, "remove", ALICE) == (
        1,
        "",
        "sipwarden: users remove: alice@example.com does not exist\n",
    )
    assert users(capsys, storage, "list") == (0, "", "")


def test_list_by_domain(capsys: pytest.CaptureFixture[str], storage: str) -> None:
    for address in ("bob@b.example", "alice@a.example", "carol@b.example"):
        assert users(capsys, storage, "add", address, "--password", "pw")[0] == 0
    code, out, _ = users(capsys, storage, "list", "--domain", "B.EXAMPLE")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["bob@b.example", "carol@b.example"]


def test_forward_and_remove(capsys: pytest.CaptureFixture[str], storage: str) -> None:
    users(capsys, storage, "add", ALICE, "--password", "pw")
    assert users(capsys, storage, "forward", ALICE, "--busy", "vm") == (
        0,
        "alice@example.com: busy -> sip:vm@example.com\n",
        "",
    )
    done = users(capsys, storage, "forward", ALICE, "--no-answer", "bob", "--after", "15")
    assert done[1] == (
        "alice@example.com: busy -> sip:vm@example.com,"
        " no-answer after 15s -> sip:bob@example.com\n"
    )
    listed = users(capsys, storage, "list")[1]
    assert listed.startswith("alice@example.com  algorithms: ")
    assert "forwards: busy -> sip:vm@example.com" in listed
    assert users(capsys, storage, "forward", ALICE, "--clear")[1] == (
        "alice@example.com: no forwarding\n"
    )
    users(capsys, storage, "forward", ALICE, "--always", "sip:desk@example.com")
    assert users(capsys, storage, "remove", ALICE)[0] == 0
    users(capsys, storage, "add", ALICE, "--password", "pw")
    assert users(capsys, storage, "forward", ALICE) == (
        0,
        "alice@example.com: no forwarding\n",
        "",
    )  # the forwarding went with the account


def test_forward_errors(capsys: pytest.CaptureFixture[str], storage: str) -> None:
    assert users(capsys, storage, "forward", "nobody@example.com", "--busy", "vm") == (
        1,
        "",
        "sipwarden: users forward: nobody@example.com does not exist\n",
    )


def test_storage_from_config(
    capsys: pytest.CaptureFixture[str],
    storage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sipwarden.toml").write_text(f'[storage]\nurl = "{storage}"\n', encoding="utf-8")
    code = cli.main(["users", "add", ALICE, "--password", "pw", "--config", "sipwarden.toml"])
    assert (code, capsys.readouterr().out) == (0, "added alice@example.com\n")
    assert users(capsys, storage, "list")[1].startswith("alice@example.com")
    assert not (tmp_path / "sipwarden-data").exists()


def test_unreachable_postgres_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = users(capsys, "postgresql://postgres@127.0.0.1:1/test", "list")
    assert (code, out) == (1, "")
    assert err.startswith("sipwarden: users list: postgresql unavailable: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("redis://127.0.0.1:6379/0", "--storage: unsupported store URL (scheme 'redis')"),
        ("postgresql://127.0.0.1:5432", "--storage: postgresql URL names no database"),
    ],
)
def test_bad_url_is_one_line(capsys: pytest.CaptureFixture[str], url: str, error: str) -> None:
    code, out, err = users(capsys, url, "list")
    assert (code, out) == (1, "")
    assert err.startswith(f"sipwarden: users list: {error}")
    assert err.count("\n") == 1
