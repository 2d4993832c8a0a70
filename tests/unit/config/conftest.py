"""Fixtures: `sipwarden.toml` in a temporary working directory (errors say `sipwarden.toml:N:`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sipwarden.config import Config, ConfigError, Overrides, load_config

Load = Callable[..., Config]
Fails = Callable[..., str]


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Load:
    """load(text, overrides=None) -> Config, from ./sipwarden.toml holding `text`."""
    monkeypatch.chdir(tmp_path)

    def run(text: str, overrides: Overrides | None = None) -> Config:
        Path("sipwarden.toml").write_text(text, encoding="utf-8")
        return load_config("sipwarden.toml", overrides)

    return run


@pytest.fixture
def fails(load: Load) -> Fails:
    """fails(text, overrides=None) -> the ConfigError message (asserted to be one line)."""

    def run(text: str, overrides: Overrides | None = None) -> str:
        with pytest.raises(ConfigError) as caught:
            load(text, overrides)
        message = str(caught.value)
        assert "\n" not in message
        return message

    return run
