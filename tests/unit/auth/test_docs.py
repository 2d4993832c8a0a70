"""docs/auth.md and docs/sipwarden.example.toml stay in step with the code."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.outcome import FailReason

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_auth_md_toml_example_loads() -> None:
    text = (DOCS / "auth.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    configs = [AuthConfig.from_table(tomllib.loads(block)["auth"]) for block in blocks]
    assert configs[0].algorithms == ("SHA-256", "MD5")
    assert configs[-1].qop == ("auth", "auth-int")
    assert configs[-1].is_exempt("gateway", "example.com")


def test_example_file_lists_the_defaults() -> None:
    example = tomllib.loads((DOCS / "sipwarden.example.toml").read_text())
    assert AuthConfig.from_table(example["auth"]) == AuthConfig()


def test_every_fail_reason_is_documented() -> None:
    text = (DOCS / "auth.md").read_text()
    for reason in typing.get_args(FailReason):
        assert f"`{reason}`" in text, reason
