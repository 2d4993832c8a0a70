"""`sipwarden bans ...` with `--state redis://...`: every verb on the real Redis.

The key prefix of each test comes from `[state] prefix` in a configuration file; a ban added
by the CLI is in the Redis ban store and its change log, which the nodes poll.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from sipwarden import cli
from sipwarden.storage.redis_bans import RedisBanStore
from tests.integration.stores.conftest import Loop


@pytest.fixture
def config(tmp_path: Path, redis_url: str, prefix: str) -> str:
    """A configuration file with this test's Redis key prefix (and no url: --state gives it)."""
    path = tmp_path / "sipwarden.toml"
    path.write_text(f'[state]\nprefix = "{prefix}"\n', encoding="utf-8")
    return str(path)


def bans(
    capsys: pytest.CaptureFixture[str], redis_url: str, config: str, *args: str
) -> tuple[int, str, str]:
    code = cli.main(["bans", *args, "--state", redis_url, "--config", config])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_remove(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    config: str,
    prefix: str,
    loop: Loop,
    client: Redis,
    tmp_path: Path,
) -> None:
    assert bans(capsys, redis_url, config, "add", "192.0.2.7", "--for", "600") == (
        0,
        "banned 192.0.2.7 for 600 s\n",
        "",
    )
    store = RedisBanStore(client, prefix)
    assert [ban.ip for ban in loop.run(store.load())] == ["192.0.2.7"]
    changes = loop.run(store.changes(0))
    assert [(c.ip, c.ban is not None) for c in changes] == [("192.0.2.7", True)]
    code, out, _ = bans(capsys, redis_url, config, "list")
    assert code == 0
    assert out.startswith("192.0.2.7  admin  since ")
    assert out.endswith("  offences 0  by cli\n")
    assert bans(capsys, redis_url, config, "remove", "192.0.2.7") == (
        0,
        "lifted the ban of 192.0.2.7\n",
        "",
    )
    assert loop.run(store.load()) == []
    assert bans(capsys, redis_url, config, "remove", "192.0.2.7") == (
        1,
        "",
        "sipwarden: bans remove: 192.0.2.7 is not banned\n",
    )
    assert not (tmp_path / "sipwarden-data").exists()


def test_state_from_config(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    text = f'[state]\nurl = "{redis_url}"\nprefix = "{prefix}"\n'
    Path("sipwarden.toml").write_text(text, encoding="utf-8")
    assert cli.main(["bans", "add", "2001:db8::9", "--config", "sipwarden.toml"]) == 0
    assert cli.main(["bans", "list", "--config", "sipwarden.toml"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("2001:db8::9  admin  since ")
    assert not Path("sipwarden-data").exists()


def test_unreachable_redis_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["bans", "list", "--state", "redis://127.0.0.1:1/0"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("sipwarden: bans list: redis unavailable: ")
    assert err.count("\n") == 1


def test_bad_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["bans", "list", "--state", "postgresql://127.0.0.1/test"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("sipwarden: bans list: --state: unsupported store URL")
    assert err.count("\n") == 1
