"""Two `sipwarden run` nodes sharing their state (issue #10, docs/cluster.md), once through the
embedded SQLite file of a shared data directory and once through Redis:

- a phone registered on node A is reachable through node B at once;
- a nonce issued by A is accepted by B, and its nonce-count is tracked across both (a replay
  on B of what A accepted is refused as stale);
- a ban made by A's shield is enforced by B within a second.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration.security.sipclient import SipClient, digest
from tests.integration.server.process import free_port, running, sipwarden

pytestmark = pytest.mark.timeout(90)
PASSWORD = "alice-pass-9"


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, int]]:
    if request.param == "redis" and not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    data = tmp_path / "data"
    added = sipwarden(
        "users", "add", "alice@127.0.0.1", "--password", PASSWORD, "--data-dir", str(data)
    )
    assert added.returncode == 0, added.stderr
    config = tmp_path / "sipwarden.toml"
    text = "[security]\nflood_options = 10\n"
    if request.param == "redis":
        text += f'[state]\nurl = "redis://127.0.0.1:6379/0"\nprefix = "test-{uuid.uuid4().hex}:"\n'
    config.write_text(text)
    ports = free_port(), free_port()
    with ExitStack() as stack:
        for port in ports:  # the same data dir: the same accounts and the same nonce key
            args = ["--data-dir", str(data), "--config", str(config)]
            stack.enter_context(running([*args, "--listen", f"udp:127.0.0.1:{port}"], cwd=tmp_path))
        yield ports


def register(
    client: SipClient, *, call_id: str, cseq: int, auth: str | None, expires: int
) -> object:
    uri = f"sip:127.0.0.1:{client.port}"
    extra = [("Expires", str(expires))]
    if auth is not None:
        extra.append(("Authorization", auth))
    request = client.request(
        "REGISTER",
        uri,
        from_user="alice",
        to_user="alice",
        call_id=call_id,
        cseq=cseq,
        extra=tuple(extra),
    )
    return client.send(request)


def test_registration_nonce_and_ban_are_shared(nodes: tuple[int, int]) -> None:
    port_a, port_b = nodes
    phone_a, phone_b = SipClient("127.0.0.21", port_a), SipClient("127.0.0.21", port_b)
    try:
        uri_a, uri_b = f"sip:127.0.0.1:{port_a}", f"sip:127.0.0.1:{port_b}"
        # A challenges; the answer goes to B: accepted (one nonce key, shared nonce-counts)
        challenge = register(phone_a, call_id="c1", cseq=1, auth=None, expires=600)
        assert challenge is not None and challenge.status == 401  # type: ignore[attr-defined]
        realm_challenge = challenge.www_authenticate[0]  # type: ignore[attr-defined]
        auth_b = digest(realm_challenge, "REGISTER", uri_b, "alice", PASSWORD)
        ok = register(phone_b, call_id="c1", cseq=2, auth=auth_b, expires=600)
        assert ok is not None and ok.status == 200  # type: ignore[attr-defined]
        # the binding made through B is listed by A at once (a query REGISTER on A)
        auth_a = digest(realm_challenge, "REGISTER", uri_a, "alice", PASSWORD)
        replay = register(phone_a, call_id="c1", cseq=3, auth=auth_a, expires=600)
        # the same nonce with the same nc=1 on A is a replay of what B accepted: stale 401
        assert replay is not None and replay.status == 401  # type: ignore[attr-defined]
        assert "stale=true" in replay.header("WWW-Authenticate").lower()  # type: ignore[attr-defined]
        fresh = register(phone_a, call_id="c1", cseq=4, auth=None, expires=600)
        auth_a = digest(fresh.www_authenticate[0], "REGISTER", uri_a, "alice", PASSWORD)  # type: ignore[attr-defined]
        query = phone_a.send(
            phone_a.request(
                "REGISTER",
                uri_a,
                from_user="alice",
                to_user="alice",
                call_id="c1",
                cseq=5,
                extra=(("Authorization", auth_a),),
            )
        )
        assert query is not None and query.status == 200
        assert any("127.0.0.21" in c for c in query.values("Contact"))
    finally:
        phone_a.close()
        phone_b.close()

    flooder_a = SipClient("127.0.0.22", port_a, timeout=0.2)
    flooder_b = SipClient("127.0.0.22", port_b, timeout=0.3)
    try:
        assert flooder_b.options() is not None  # B serves the address before the flood
        while flooder_a.options() is not None:  # flood_options = 10: A bans it
            pass
        started = time.monotonic()
        while flooder_b.options() is not None:
            assert time.monotonic() - started < 3, "B never enforced A's ban"
        print(f"A's ban enforced by B after {time.monotonic() - started:.2f} s")
    finally:
        flooder_a.close()
        flooder_b.close()
