"""Fixtures: routing tables compiled from `sipwarden.toml` in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sipwarden.config import load_config
from sipwarden.routing import Rejected, Routing, compile_rules

Compile = Callable[[str], Routing]
Errors = Callable[[str], list[str]]


@pytest.fixture
def compile_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Compile:
    """compile_text(toml) -> Routing (asserted to compile)."""
    monkeypatch.chdir(tmp_path)

    def run(text: str) -> Routing:
        Path("sipwarden.toml").write_text(text, encoding="utf-8")
        compiled = compile_rules(load_config("sipwarden.toml"))
        assert isinstance(compiled, Routing), str(compiled)
        return compiled

    return run


@pytest.fixture
def errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Errors:
    """errors(toml) -> the compile errors, each asserted to be one line."""
    monkeypatch.chdir(tmp_path)

    def run(text: str) -> list[str]:
        Path("sipwarden.toml").write_text(text, encoding="utf-8")
        compiled = compile_rules(load_config("sipwarden.toml"))
        assert isinstance(compiled, Rejected)
        messages = [str(e) for e in compiled.errors]
        assert all("\n" not in m for m in messages)
        return messages

    return run
