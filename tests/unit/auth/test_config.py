"""AuthConfig validation and the [auth] TOML table (auth/config.py)."""

from __future__ import annotations

from typing import Any

import pytest

from sipwarden.auth.config import AuthConfig, canonical_algorithm
from sipwarden.errors import LocalError


def test_defaults() -> None:
    config = AuthConfig()
    assert config.algorithms == ("MD5", "SHA-256")
    assert config.qop == ("auth",)
    assert config.nonce_ttl == 300.0
    assert config.identity_exempt == frozenset()


def test_names_are_canonicalized() -> None:
    config = AuthConfig(
        algorithms=("sha-512-256", "md5-SESS"),
        qop=("AUTH", "auth-int"),
        identity_exempt=frozenset({"gw@PBX.Example.COM"}),
    )
    assert config.algorithms == ("SHA-512-256", "MD5-sess")
    assert config.qop == ("auth", "auth-int")
    assert config.identity_exempt == frozenset({"gw@pbx.example.com"})
    assert config.is_exempt("gw", "pbx.EXAMPLE.com")
    assert not config.is_exempt("GW", "pbx.example.com")  # the user part is case-sensitive


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithms": ()},
        {"algorithms": ("SHA-1",)},
        {"algorithms": ("MD5", "md5")},
        {"qop": ("auth-conf",)},
        {"qop": ("auth", "auth")},
        {"nonce_ttl": 0},
        {"nonce_ttl": -5.0},
        {"nonce_ttl": float("inf")},
        {"nonce_ttl": float("nan")},
        {"nonce_ttl": True},
        {"identity_exempt": frozenset({"nodomain"})},
        {"identity_exempt": frozenset({"@example.com"})},
        {"identity_exempt": frozenset({"user@"})},
    ],
)
def test_bad_values_are_local_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(LocalError):
        AuthConfig(**kwargs)


def test_empty_qop_is_allowed_for_rfc2069_phones() -> None:
    assert AuthConfig(qop=()).qop == ()


def test_canonical_algorithm() -> None:
    assert canonical_algorithm("sha-256") == "SHA-256"
    assert canonical_algorithm("SHA-256-SESS") == "SHA-256-sess"
    assert canonical_algorithm("SHA-1") is None
