"""Defaults: no file, an empty file and the example file all give the documented values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sipwarden.config import Config, Overrides, load_config
from sipwarden.config.schema import SECTIONS
from sipwarden.config.show import show
from sipwarden.transport.listen import ListenSpec
from tests.unit.config.conftest import Load

EXAMPLE = Path(__file__).parents[3] / "docs" / "sipwarden.example.toml"


def test_no_file_gives_the_defaults() -> None:
    assert load_config(None, Overrides()) == Config()


def test_overrides_are_optional() -> None:
    assert load_config(None) == Config()


def test_empty_file_gives_the_defaults(load: Load) -> None:
    assert load("# nothing here\n") == Config()


def test_default_values() -> None:
    config = Config()
    assert config.server.data_dir == "./sipwarden-data"
    assert config.server.domains == ()
    assert config.server.listen == (
        ListenSpec("udp", "0.0.0.0", 5060),
        ListenSpec("tcp", "0.0.0.0", 5060),
        ListenSpec("tls", "0.0.0.0", 5061),
    )
    assert (config.tls.cert, config.tls.key, config.tls.ca) == ("", "", "")
    assert config.tls.verify_client is False
    assert dataclasses.astuple(config.transport) == (65535, 600.0, 64, 1300)
    assert dataclasses.astuple(config.timers) == (0.5, 4.0, 5.0)
    assert dataclasses.astuple(config.registrar) == (60, 3600, 3600, 10)
    assert dataclasses.astuple(config.proxy) == ("proxy", True, 180, True, 5)
    assert config.auth.algorithms == ("MD5", "SHA-256")
    assert config.auth.qop == ("auth",)
    assert config.auth.nonce_ttl == 300.0
    assert config.auth.identity_exempt == ()
    assert config.auth.authenticate_calls is True
    assert (config.log.level, config.log.format) == ("info", "text")


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().log.level = "debug"  # type: ignore[misc]


def test_schema_covers_every_dataclass_field() -> None:
    sections = [f for f in dataclasses.fields(Config) if f.name != "routing"]  # sipwarden.routing
    assert [f.name for f in sections] == list(SECTIONS)
    for field in sections:
        section_class, keys = SECTIONS[field.name]
        assert section_class is field.default_factory  # type: ignore[comparison-overlap]
        assert [f.name for f in dataclasses.fields(section_class)] == list(keys)


def test_example_file_loads_cleanly_and_holds_the_defaults() -> None:
    config = load_config(EXAMPLE, Overrides())
    assert config.server.data_dir == str(EXAMPLE.parent / "sipwarden-data")
    expected = dataclasses.replace(Config().server, data_dir=config.server.data_dir)
    assert config == dataclasses.replace(Config(), server=expected)


def test_example_file_names_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, (_, keys) in SECTIONS.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} = " in text, key


def _as_toml(value: object) -> str:
    if isinstance(value, tuple):
        return show([str(item) for item in value])
    return show(value)


def test_configuration_md_documents_every_key_with_its_default() -> None:
    text = (EXAMPLE.parent / "configuration.md").read_text(encoding="utf-8")
    for section, (section_class, keys) in SECTIONS.items():
        assert f"## `[{section}]`" in text
        defaults = section_class()
        for key in keys:
            assert f"| `{key}` | `{_as_toml(getattr(defaults, key))}` |" in text, key
