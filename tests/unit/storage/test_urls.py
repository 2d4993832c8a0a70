"""Store URLs (storage/urls.py): parsing, one-line errors, redaction, the config keys and the
--storage/--state overrides, and the embedded default opened through the factories."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sipwarden.config import ConfigError, Overrides, load_config
from sipwarden.security import Ban
from sipwarden.storage.sqlite import DB_NAME
from sipwarden.storage.urls import (
    StoreUrlError,
    check_state_url,
    check_storage_url,
    open_state,
    open_storage,
)
from sipwarden.users import UserError
from sipwarden.users.forwarding import Forwarding


@pytest.mark.parametrize(
    ("url", "kind", "path"),
    [
        ("", "sqlite", None),
        ("sqlite:///var/lib/sw/state.db", "sqlite", "/var/lib/sw/state.db"),
        ("sqlite:state.db", "sqlite", "state.db"),
        ("redis://127.0.0.1:6379/2", "redis", None),
        ("rediss://:pw@cache.example:6380", "redis", None),
    ],
)
def test_state_urls(url: str, kind: str, path: str | None) -> None:
    checked = check_state_url(url)
    assert (checked.kind, checked.path) == (kind, path)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://h/db", "unsupported store URL (scheme 'mysql'); expected sqlite:///PATH or"),
        ("state.db", "unsupported store URL (no scheme)"),
        ("sqlite://host/x.db", "sqlite URL has a host ('host'); write sqlite:///PATH"),
        ("redis://h:70000/0", "bad redis URL: Port out of range"),
        ("redis://h/zero", "redis URL database must be a number, got 'zero'"),
        ("redis:///0", "redis URL has no host"),
        ("postgresql://h/db", "(PostgreSQL holds users and forwarding: [storage] url, --storage)"),
    ],
)
def test_bad_state_urls_are_one_line(url: str, message: str) -> None:
    with pytest.raises(StoreUrlError) as caught:
        check_state_url(url)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_storage_urls() -> None:
    assert check_storage_url("postgresql://sip@db:5432/sip").kind == "postgresql"
    assert check_storage_url("postgres://sip@db/sip").kind == "postgresql"
    with pytest.raises(StoreUrlError, match="names no database"):
        check_storage_url("postgresql://db:5432")
    with pytest.raises(StoreUrlError, match=r"Redis holds the state"):
        check_storage_url("redis://127.0.0.1/0")


def test_passwords_are_redacted() -> None:
    assert check_storage_url("postgresql://u:s3cret@db/x").redacted() == "postgresql://u:***@db/x"
    assert check_state_url("redis://:s3cret@h:6379/1").redacted() == "redis://:***@h:6379/1"
    assert check_state_url("redis://h:6379/1").redacted() == "redis://h:6379/1"


def test_config_keys_and_flags(tmp_path: Path) -> None:
    file = tmp_path / "sipwarden.toml"
    file.write_text('[state]\nurl = "redis://10.0.0.5:6379/1"\nprefix = "a:"\n')
    config = load_config(file)
    assert (config.state.url, config.state.prefix, config.storage.url) == (
        "redis://10.0.0.5:6379/1",
        "a:",
        "",
    )
    flags = Overrides(storage="postgresql://sip@db/sip", state="sqlite:///tmp/x.db")
    config = load_config(file, flags)
    assert (config.storage.url, config.state.url) == (
        "postgresql://sip@db/sip",
        "sqlite:///tmp/x.db",
    )
    with pytest.raises(ConfigError, match=r"^--state: unsupported store URL \(scheme 'mysql'\)"):
        load_config(None, Overrides(state="mysql://x/y"))
    file.write_text('[storage]\nurl = "redis://h/0"\n')
    with pytest.raises(ConfigError, match=r"^.*sipwarden.toml:2: \[storage\] url: unsupported"):
        load_config(file)


def test_the_embedded_default_opens_the_data_directorys_file(tmp_path: Path) -> None:
    async def go() -> None:
        state = await open_state("", data_dir=tmp_path)
        storage = await open_storage("", data_dir=tmp_path)
        try:
            assert (state.kind, storage.kind) == ("sqlite", "sqlite")
            await state.bans.save(Ban("192.0.2.1", 1.0, None, "admin", 0, "cli"))
            await storage.users.add("alice", "example.com", "pw")
            await storage.forwarding.set(
                "alice", "example.com", Forwarding(busy="sip:vm@example.com")
            )
            await storage.users.add("bob", "example.com", "pw")
            await storage.remove_account("alice", "example.com")
            with pytest.raises(UserError):  # nothing removed, the forwarding stays
                await storage.remove_account("carol", "example.com")
            assert [r.user for r in await storage.users.list()] == ["bob"]
            assert await storage.forwarding.list() == []
            await state.ping()
            await storage.ping()
        finally:
            await state.close()
            await storage.close()

    asyncio.run(go())
    assert (tmp_path / DB_NAME).exists()


def test_a_sqlite_url_names_another_file(tmp_path: Path) -> None:
    async def go() -> str:
        state = await open_state(f"sqlite://{tmp_path}/sub/state.db", data_dir=tmp_path / "d")
        await state.close()
        return state.where

    assert asyncio.run(go()) == str(tmp_path / "sub" / "state.db")
    assert not (tmp_path / "d").exists()
