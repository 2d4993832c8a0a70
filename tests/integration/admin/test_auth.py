"""Credentials: none on loopback; off loopback a token or basic auth, and no start without one."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest

from sipwarden.admin import AdminError
from sipwarden.admin.auth import AuthPolicy
from sipwarden.admin.runner import auth_policy
from sipwarden.admin.token import create_token
from sipwarden.config import AdminSection, Config, ServerSection
from tests.integration.admin.helpers import admin_client
from tests.integration.conftest import run

TOKEN = "k3Jq-test-token"
GUARDED = ("/api/status", "/api/bans", "/api/events/recent", "/metrics", "/api/openapi.json")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _statuses(policy: AuthPolicy, headers: dict[str, str]) -> dict[str, int]:
    async def go() -> dict[str, int]:
        async with admin_client(policy=policy) as (client, _):
            return {path: (await client.get(path, headers=headers)).status for path in GUARDED}

    return run(go())


def test_token_required() -> None:
    policy = AuthPolicy(token=TOKEN)
    assert set(_statuses(policy, {}).values()) == {401}
    assert set(_statuses(policy, {"Authorization": "Bearer wrong"}).values()) == {401}
    assert set(_statuses(policy, {"Authorization": f"Bearer {TOKEN}"}).values()) == {200}
    assert set(_statuses(policy, {"Authorization": _basic("ops", TOKEN)}).values()) == {401}


def test_basic_auth_required() -> None:
    policy = AuthPolicy(basic=("ops", "s3cret:with:colons"))
    assert set(_statuses(policy, {}).values()) == {401}
    assert set(_statuses(policy, {"Authorization": _basic("ops", "nope")}).values()) == {401}
    assert set(_statuses(policy, {"Authorization": "Basic !!!"}).values()) == {401}
    good = {"Authorization": _basic("ops", "s3cret:with:colons")}
    assert set(_statuses(policy, good).values()) == {200}


def test_challenge_names_the_scheme_and_the_page_stays_open() -> None:
    async def go() -> None:
        async with admin_client(policy=AuthPolicy(basic=("ops", "pw"))) as (client, _):
            refused = await client.get("/api/status")
            assert refused.headers["WWW-Authenticate"].startswith("Basic ")
            assert (await client.get("/")).status == 200
            assert (await client.get("/static/app.js")).status == 200
        async with admin_client(policy=AuthPolicy(token=TOKEN)) as (client, _):
            refused = await client.get("/api/status")
            assert refused.headers["WWW-Authenticate"].startswith("Bearer ")

    run(go())


def test_state_changes_with_the_token() -> None:
    async def go() -> None:
        async with admin_client(policy=AuthPolicy(token=TOKEN)) as (client, backend):
            denied = await client.post("/api/bans", json={"ip": "192.0.2.1"})
            assert denied.status == 401 and not backend.banned
            auth = {"Authorization": f"Bearer {TOKEN}"}
            allowed = await client.post("/api/bans", json={"ip": "192.0.2.1"}, headers=auth)
            assert allowed.status == 201

    run(go())


def test_loopback_without_credentials_refuses_foreign_host_names() -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 must not reach the API."""

    async def go() -> tuple[int, int, int]:
        async with admin_client() as (client, _):
            rebound = await client.get("/api/status", headers={"Host": "evil.example:8088"})
            local = await client.get("/api/status", headers={"Host": "localhost:8088"})
            v6 = await client.get("/api/status", headers={"Host": "[::1]:8088"})
            return rebound.status, local.status, v6.status

    assert run(go()) == (403, 200, 200)


def test_cross_origin_writes_are_refused() -> None:
    async def go() -> None:
        async with admin_client() as (client, backend):
            evil = {"Origin": "http://evil.example"}
            response = await client.post("/api/bans", json={"ip": "192.0.2.1"}, headers=evil)
            assert response.status == 403 and not backend.banned
            assert (await client.delete("/api/users/alice@example.com", headers=evil)).status == 403
            same = {"Origin": f"http://{client.host}:{client.port}"}
            response = await client.post("/api/bans", json={"ip": "192.0.2.1"}, headers=same)
            assert response.status == 201

    run(go())


def _config(tmp_path: Path, listen: str, **admin: str) -> Config:
    return Config(
        server=ServerSection(data_dir=str(tmp_path)),
        admin=dataclasses.replace(AdminSection(), listen=listen, **admin),  # type: ignore[arg-type]
    )


def test_policy_from_config_loopback_needs_nothing(tmp_path: Path) -> None:
    assert not auth_policy(_config(tmp_path, "127.0.0.1:8088")).required
    assert not auth_policy(_config(tmp_path, "[::1]:0")).required
    assert not auth_policy(_config(tmp_path, "localhost:8088")).required


def test_off_loopback_without_credentials_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(AdminError, match=r"sipwarden admin token.*basic_user"):
        auth_policy(_config(tmp_path, "0.0.0.0:8088"))


def test_off_loopback_uses_the_token_file(tmp_path: Path) -> None:
    token = create_token(tmp_path / "admin.token")
    policy = auth_policy(_config(tmp_path, "0.0.0.0:8088"))
    assert policy.token == token and policy.basic is None


def test_off_loopback_uses_basic_auth(tmp_path: Path) -> None:
    password = tmp_path / "admin.pw"
    password.write_text("correct horse\n", encoding="utf-8")
    config = _config(
        tmp_path, "[2001:db8::1]:8088", basic_user="ops", basic_password_file=str(password)
    )
    assert auth_policy(config).basic == ("ops", "correct horse")


def test_basic_needs_both_keys(tmp_path: Path) -> None:
    with pytest.raises(AdminError, match="set together"):
        auth_policy(_config(tmp_path, "0.0.0.0:8088", basic_user="ops"))
    with pytest.raises(AdminError, match="cannot read"):
        auth_policy(
            _config(tmp_path, "0.0.0.0:8088", basic_user="ops", basic_password_file="/nonexistent")
        )


def test_explicit_token_file_applies_on_loopback_too(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.token"
    token = create_token(path)
    policy = auth_policy(_config(tmp_path, "127.0.0.1:8088", token_file=str(path)))
    assert policy.token == token


def test_token_file_is_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "admin.token"
    first = create_token(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert create_token(path) == first
    assert create_token(path, replace=True) != first
    assert path.stat().st_mode & 0o777 == 0o600
