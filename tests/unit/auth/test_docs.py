"""docs/auth.md and docs/sipwarden.example.toml stay in step with the code."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.outcome import FailReason
from sipwarden.config import AuthSection, load_config

DOCS = Path(__file__).resolve().parents[3] / "docs"


def auth_config(section: AuthSection) -> AuthConfig:
    """What `sipwarden run` builds from the loaded [auth] section."""
    return AuthConfig(
        algorithms=section.algorithms,
        qop=section.qop,
        nonce_ttl=section.nonce_ttl,
        identity_exempt=frozenset(section.identity_exempt),
    )


def test_auth_md_toml_examples_load(tmp_path: Path) -> None:
    text = (DOCS / "auth.md").read_text()
    configs = []
    for number, block in enumerate(re.findall(r"```toml\n(.*?)```", text, re.DOTALL)):
        path = tmp_path / f"example{number}.toml"
        path.write_text(block)
        configs.append(auth_config(load_config(path).auth))
    assert configs[0].algorithms == ("SHA-256", "MD5")
    assert configs[-1].qop == ("auth", "auth-int")
    assert configs[-1].is_exempt("gateway", "example.com")


def test_example_file_lists_the_defaults() -> None:
    example = load_config(DOCS / "sipwarden.example.toml")
    assert example.auth == AuthSection()
    assert auth_config(example.auth) == AuthConfig()


def test_every_fail_reason_is_documented() -> None:
    text = (DOCS / "auth.md").read_text()
    for reason in typing.get_args(FailReason):
        assert f"`{reason}`" in text, reason
