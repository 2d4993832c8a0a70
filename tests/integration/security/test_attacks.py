"""The security shield against the running server on loopback (issue #7, docs/security.md).

Each test attacks `sipwarden run` from one loopback address while a legitimate client on
another address keeps being served, names the event the shield must emit (read from the
server's log, one line per event), and prints how long detection took.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.security.sipclient import SipClient, invite, register
from tests.integration.server.process import Running, free_port, running, sipwarden

pytestmark = pytest.mark.timeout(90)
PASSWORD = "alice-pass-1"
CONFIG = """\
[security]
flood_window = 10
flood_options = 20
auth_failures = 5
auth_window = 60
max_call_attempts_per_minute = 4
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, int]]:
    workdir = tmp_path_factory.mktemp("shield")
    data = workdir / "data"
    for user in ("alice", "bob"):
        added = sipwarden(
            "users", "add", f"{user}@127.0.0.1", "--password", PASSWORD, "--data-dir", str(data)
        )
        assert added.returncode == 0, added.stderr
    config = workdir / "sipwarden.toml"
    config.write_text(CONFIG)
    port = free_port()
    args = ["--data-dir", str(data), "--config", str(config), "--listen", f"udp:127.0.0.1:{port}"]
    with running(args, cwd=workdir) as proc:
        yield proc, port


def event_logged(proc: Running, needle: str, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(needle in line for line in proc.log):
            return True
        time.sleep(0.02)
    return False


def client(source: str, port: int, **kwargs: object) -> SipClient:
    return SipClient(source, port, **kwargs)  # type: ignore[arg-type]


def test_an_options_flood_blocks_its_source_and_not_the_others(
    server: tuple[Running, int],
) -> None:
    proc, port = server
    attacker, bystander = client("127.0.0.2", port, timeout=0.3), client("127.0.0.3", port)
    try:
        started = time.monotonic()
        answered = 0
        for _ in range(40):
            if attacker.options() is None:
                break
            answered += 1
        detected = time.monotonic() - started
        assert answered == 20  # flood_options = 20 per 10 s: the 21st is dropped
        assert attacker.options() is None  # still banned: dropped silently
        assert event_logged(proc, "ban reason=flood source=127.0.0.2")
        reply = bystander.options()
        assert reply is not None and reply.status == 200
        print(f"flood detected after {answered} requests in {detected * 1000:.0f} ms")
    finally:
        attacker.close()
        bystander.close()


def test_password_guessing_is_banned_and_the_real_user_still_logs_in(
    server: tuple[Running, int],
) -> None:
    proc, port = server
    guesser, owner = client("127.0.0.4", port, timeout=0.5), client("127.0.0.5", port)
    try:
        started = time.monotonic()
        attempts = 0
        for guess in range(10):
            reply = register(guesser, "alice", f"guess-{guess}")
            if reply is None:
                break
            assert reply.status == 401
            attempts += 1
        detected = time.monotonic() - started
        assert attempts == 5  # auth_failures = 5: the address is banned at the 5th failure
        assert event_logged(proc, "ban reason=bruteforce source=127.0.0.4")
        reply = register(owner, "alice", PASSWORD)
        assert reply is not None and reply.status == 200
        print(f"brute force banned after {attempts} failures in {detected * 1000:.0f} ms")
    finally:
        guesser.close()
        owner.close()


def test_a_scanner_user_agent_is_dropped(server: tuple[Running, int]) -> None:
    proc, port = server
    scanner = client("127.0.0.6", port, user_agent="friendly-scanner", timeout=0.5)
    normal = client("127.0.0.7", port)
    try:
        started = time.monotonic()
        assert scanner.options() is None
        detected = time.monotonic() - started
        assert event_logged(proc, "reason=scanner_user_agent source=127.0.0.6")
        reply = normal.options()
        assert reply is not None and reply.status == 200
        print(f"scanner dropped on its first request ({detected * 1000:.0f} ms incl. wait)")
    finally:
        scanner.close()
        normal.close()


def test_fraud_denied_prefix_and_call_burst_are_stopped(server: tuple[Running, int]) -> None:
    proc, port = server
    phone, other = client("127.0.0.8", port), client("127.0.0.9", port)
    try:
        reply = invite(phone, "alice", PASSWORD, "+8701234567")  # satellite: denied prefix
        assert reply is not None and reply.status == 403
        assert event_logged(proc, "reason=fraud_denied_prefix")
        statuses = []
        started = time.monotonic()
        for _ in range(6):
            reply = invite(phone, "alice", PASSWORD, "bob")
            assert reply is not None
            statuses.append(reply.status)
        detected = time.monotonic() - started
        # bob is offline: each allowed call attempt gets 480; the limit is 4 per minute and
        # the denied-prefix attempt above counted as one, so the 4th and later are refused
        assert statuses[:3] == [480, 480, 480] and set(statuses[3:]) == {403}
        assert event_logged(proc, "reason=fraud_rate")
        reply = register(other, "bob", PASSWORD)  # another account is not affected
        assert reply is not None and reply.status == 200
        print(
            f"call burst stopped at attempt {statuses.index(403) + 2} in {detected * 1000:.0f} ms"
        )
    finally:
        phone.close()
        other.close()


def test_bans_survive_a_restart_and_are_listed_by_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = sipwarden("bans", "add", "192.0.2.66", "--reason", "test", "--data-dir", str(data))
    assert added.returncode == 0, added.stderr
    port = free_port()
    args = ["--data-dir", str(data), "--listen", f"udp:127.0.0.1:{port}"]
    with running(args, cwd=tmp_path) as proc:
        assert event_logged(proc, "restored 1 bans")
    listed = sipwarden("bans", "list", "--data-dir", str(data))
    assert "192.0.2.66" in listed.stdout
