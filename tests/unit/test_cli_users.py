"""`sipwarden users ...`: in-process through cli.main, and once as a real subprocess."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sipwarden import cli
from sipwarden.auth.hashes import ha1_all
from sipwarden.users import SqliteUserStore

DOCS = Path(__file__).parents[2] / "docs"


@pytest.fixture
def data(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def users(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["users", *args])
    out, err = capsys.readouterr()
    return code, out, err


def ha1_of(data_dir: str, user: str, domain: str) -> dict[str, str] | None:
    with SqliteUserStore.open(data_dir) as store:
        record = store.find(user, domain)
    return None if record is None else record.ha1


class Prompts:
    """Stands in for getpass.getpass: pops queued answers, records prompts, EOF when empty."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.asked: list[str] = []

    def __call__(self, prompt: str = "Password: ") -> str:
        self.asked.append(prompt)
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    fake = Prompts()
    monkeypatch.setattr("getpass.getpass", fake)
    return fake


def test_add_with_password_then_list(capsys: pytest.CaptureFixture[str], data: str) -> None:
    assert users(capsys, "add", "alice@Example.com", "--password", "pw1", "--data-dir", data) == (
        0,
        "added alice@example.com\n",
        "",
    )
    assert ha1_of(data, "alice", "example.com") == ha1_all("alice", "example.com", "pw1")
    assert users(capsys, "list", "--data-dir", data) == (
        0,
        "alice@example.com  algorithms: MD5, SHA-256, SHA-512-256\n",
        "",
    )


def test_add_twice_is_an_error(capsys: pytest.CaptureFixture[str], data: str) -> None:
    users(capsys, "add", "alice@example.com", "--password", "pw", "--data-dir", data)
    assert users(capsys, "add", "alice@example.com", "--password", "x", "--data-dir", data) == (
        1,
        "",
        "sipwarden: users add: alice@example.com already exists\n",
    )


def test_add_prompts_twice(capsys: pytest.CaptureFixture[str], data: str, prompts: Prompts) -> None:
    prompts.answers.extend(["s3cret", "s3cret"])
    assert users(capsys, "add", "bob@example.com", "--data-dir", data)[0] == 0
    assert ha1_of(data, "bob", "example.com") == ha1_all("bob", "example.com", "s3cret")
    assert prompts.asked == ["Password for bob@example.com: ", "Again: "]


def test_add_prompt_mismatch(
    capsys: pytest.CaptureFixture[str], data: str, prompts: Prompts
) -> None:
    prompts.answers.extend(["one", "two"])
    assert users(capsys, "add", "bob@example.com", "--data-dir", data) == (
        1,
        "",
        "sipwarden: users add: the passwords do not match\n",
    )
    assert ha1_of(data, "bob", "example.com") is None


def test_add_prompt_eof(capsys: pytest.CaptureFixture[str], data: str, prompts: Prompts) -> None:
    code, _, err = users(capsys, "add", "bob@example.com", "--data-dir", data)
    assert (code, err) == (1, "sipwarden: users add: no password entered\n")


def test_add_existing_does_not_prompt(
    capsys: pytest.CaptureFixture[str], data: str, prompts: Prompts
) -> None:
    users(capsys, "add", "bob@example.com", "--password", "pw", "--data-dir", data)
    code, _, err = users(capsys, "add", "bob@example.com", "--data-dir", data)
    assert (code, err) == (1, "sipwarden: users add: bob@example.com already exists\n")
    assert prompts.asked == []


def test_empty_password(capsys: pytest.CaptureFixture[str], data: str) -> None:
    code, _, err = users(capsys, "add", "bob@example.com", "--password", "", "--data-dir", data)
    assert (code, err) == (1, "sipwarden: users add: the password is empty\n")


def test_passwd(capsys: pytest.CaptureFixture[str], data: str, prompts: Prompts) -> None:
    users(capsys, "add", "alice@example.com", "--password", "old", "--data-dir", data)
    assert users(
        capsys, "passwd", "alice@example.com", "--password", "new", "--data-dir", data
    ) == (
        0,
        "changed the password of alice@example.com\n",
        "",
    )
    assert ha1_of(data, "alice", "example.com") == ha1_all("alice", "example.com", "new")
    prompts.answers.extend(["newer", "newer"])
    assert users(capsys, "passwd", "alice@example.com", "--data-dir", data)[0] == 0
    assert ha1_of(data, "alice", "example.com") == ha1_all("alice", "example.com", "newer")


def test_passwd_missing_account_does_not_prompt(
    capsys: pytest.CaptureFixture[str], data: str, prompts: Prompts
) -> None:
    assert users(capsys, "passwd", "nobody@example.com", "--data-dir", data) == (
        1,
        "",
        "sipwarden: users passwd: nobody@example.com does not exist\n",
    )
    assert prompts.asked == []


def test_remove(capsys: pytest.CaptureFixture[str], data: str) -> None:
    users(capsys, "add", "alice@example.com", "--password", "pw", "--data-dir", data)
    assert users(capsys, "remove", "alice@example.com", "--data-dir", data) == (
        0,
        "removed alice@example.com\n",
        "",
    )
    assert users(capsys, "remove", "alice@example.com", "--data-dir", data) == (
        1,
        "",
        "sipwarden: users remove: alice@example.com does not exist\n",
    )


def test_list_by_domain(capsys: pytest.CaptureFixture[str], data: str) -> None:
    for address in ("bob@b.example", "alice@a.example", "carol@b.example"):
        users(capsys, "add", address, "--password", "pw", "--data-dir", data)
    code, out, _ = users(capsys, "list", "--domain", "B.EXAMPLE", "--data-dir", data)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["bob@b.example", "carol@b.example"]
    assert users(capsys, "list", "--data-dir", data)[1].splitlines()[0].startswith("alice@")


def test_list_empty(capsys: pytest.CaptureFixture[str], data: str) -> None:
    assert users(capsys, "list", "--data-dir", data) == (0, "", "")


def test_data_dir_from_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sipwarden.toml").write_text('[server]\ndata_dir = "conf-data"\n', encoding="utf-8")
    users(capsys, "add", "alice@example.com", "--password", "pw", "--config", "sipwarden.toml")
    assert ha1_of("conf-data", "alice", "example.com") is not None
    args = ("--config", "sipwarden.toml", "--data-dir", "flag-data")
    users(capsys, "add", "bob@example.com", "--password", "pw", *args)
    assert ha1_of("flag-data", "bob", "example.com") is not None
    assert ha1_of("conf-data", "bob", "example.com") is None


def test_default_data_dir(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert users(capsys, "add", "alice@example.com", "--password", "pw")[0] == 0
    assert (tmp_path / "sipwarden-data" / "sipwarden.db").is_file()


def test_bad_config_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sipwarden.toml").write_text("[registrar]\nmin_expires = 0\n", encoding="utf-8")
    assert users(capsys, "list", "--config", "sipwarden.toml") == (
        1,
        "",
        "sipwarden: users list: sipwarden.toml:2: [registrar] min_expires: "
        "expected an integer >= 1, got 0\n",
    )


def test_unusable_data_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, out, err = users(capsys, "list", "--data-dir", str(blocker))
    assert (code, out) == (1, "")
    assert err.startswith(f"sipwarden: users list: cannot open the database in {blocker}: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "alice"], "argument USER@DOMAIN: expected USER@DOMAIN, got 'alice'"),
        (["add", "a b@example.com"], "argument USER@DOMAIN: user 'a b' has characters"),
        (["remove", "alice@bad_domain"], "argument USER@DOMAIN: 'bad_domain' is not a hostname"),
        (["list", "--domain", "x y"], "argument --domain: 'x y' is not a hostname"),
        (["passwd"], "the following arguments are required: USER@DOMAIN"),
        ([], "the following arguments are required: VERB"),
        (["frob"], "argument VERB: invalid choice: 'frob'"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["users", *args])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_as_a_real_command(tmp_path: Path) -> None:
    data = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "sipwarden", "users", *args, "--data-dir", data]
        return subprocess.run(command, capture_output=True, text=True, timeout=30)

    added = run("add", "alice@example.com", "--password", "pw")
    assert (added.returncode, added.stdout, added.stderr) == (0, "added alice@example.com\n", "")
    again = run("add", "alice@example.com", "--password", "pw")
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == "sipwarden: users add: alice@example.com already exists\n"
    listed = run("list")
    assert listed.stdout == "alice@example.com  algorithms: MD5, SHA-256, SHA-512-256\n"


def console_examples(text: str) -> list[tuple[list[str], str]]:
    """The `$ sipwarden ...` commands of the ```console blocks, each with its expected output."""
    examples: list[tuple[list[str], str]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        for chunk in block.split("$ ")[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((shlex.split(command), output))
    return examples


def test_users_md_examples_work_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    examples = console_examples((DOCS / "users.md").read_text(encoding="utf-8"))
    assert len(examples) >= 8
    for command, expected in examples:
        assert command[0] == "sipwarden"
        code = cli.main(command[1:])
        out, err = capsys.readouterr()
        assert out + err == expected, command
        assert code == (1 if err else 0)


def test_storage_sqlite_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "accounts.db"
    url = f"sqlite://{other}"
    args = ("--storage", url, "--data-dir", str(tmp_path / "data"))
    assert users(capsys, "add", "alice@example.com", "--password", "pw", *args)[0] == 0
    assert users(capsys, "list", *args)[1].startswith("alice@example.com  algorithms:")
    assert other.is_file()
    assert users(capsys, "list", "--data-dir", str(tmp_path / "data")) == (0, "", "")


def test_storage_from_config_and_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = f'[storage]\nurl = "sqlite://{tmp_path}/conf.db"\n'
    Path("sipwarden.toml").write_text(text, encoding="utf-8")
    users(capsys, "add", "alice@example.com", "--password", "pw", "--config", "sipwarden.toml")
    flag = ("--config", "sipwarden.toml", "--storage", f"sqlite://{tmp_path}/flag.db")
    users(capsys, "add", "bob@example.com", "--password", "pw", *flag)
    listed = users(capsys, "list", "--config", "sipwarden.toml")[1]
    assert [line.split()[0] for line in listed.splitlines()] == ["alice@example.com"]
    assert users(capsys, "list", *flag)[1].startswith("bob@example.com")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("redis://127.0.0.1:6379/0", "--storage: unsupported store URL (scheme 'redis'); "),
        ("sqlite://host/x.db", "--storage: sqlite URL has a host ('host'); write sqlite:///PATH"),
    ],
)
def test_bad_storage_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], data: str, url: str, error: str
) -> None:
    code, out, err = users(capsys, "list", "--storage", url, "--data-dir", data)
    assert (code, out) == (1, "")
    assert err.startswith(f"sipwarden: users list: {error}")
    assert err.count("\n") == 1
