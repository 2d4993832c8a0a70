"""`sipwarden run` as the README starts it, its flags, and its one-line start-up errors."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from sipwarden.sip import Response, parse_datagram
from sipwarden.users.store import SqliteUserStore
from tests.integration.server.process import free_port, running, sipwarden

pytestmark = pytest.mark.timeout(60)

OPTIONS = (
    "OPTIONS sip:{host}:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {host}:{src};branch=z9hG4bKrun{port}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:probe@{host}>;tag=1\r\nTo: <sip:{host}>\r\n"
    "Call-ID: run-{port}@{host}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


def options_over_udp(host: str, port: int) -> Response:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.bind((host, 0))
        src = sock.getsockname()[1]
        uri_host = f"[{host}]" if ":" in host else host
        sock.sendto(OPTIONS.format(host=uri_host, port=port, src=src).encode(), (host, port))
        reply = parse_datagram(sock.recv(65535))
    assert isinstance(reply, Response)
    return reply


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def test_the_readme_command_serves_on_the_defaults(tmp_path: Path) -> None:
    if port_in_use(5060):  # checked now, not at collection: another test's SIPp may use it
        pytest.skip("something else holds port 5060")
    with running([], cwd=tmp_path) as server:
        assert server.addresses == ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060", "tls:0.0.0.0:5061"]
        reply = options_over_udp("127.0.0.1", 5060)
        assert reply.status == 200 and "REGISTER" in reply.header("Allow")  # type: ignore[operator]
        assert server.stop() == 0
    data = tmp_path / "sipwarden-data"
    assert (data / "sipwarden.db").exists() and (data / "tls-self-signed.crt").exists()
    assert any("sha256=" in line for line in server.log)  # the self-signed fingerprint


def test_flags_choose_the_listeners_and_the_data_dir(tmp_path: Path) -> None:
    port = free_port()
    args = [
        "--data-dir",
        str(tmp_path / "d"),
        "--listen",
        f"udp:127.0.0.1:{port}",
        "--listen",
        "udp:[::1]:0",
        "--domain",
        "example.com",
    ]
    with running(args, cwd=tmp_path) as server:
        assert server.addresses[0] == f"udp:127.0.0.1:{port}"
        v6_port = int(server.addresses[1].rsplit(":", 1)[1])
        assert options_over_udp("::1", v6_port).status == 200
        assert options_over_udp("127.0.0.1", port).status == 200
    assert (tmp_path / "d" / "sipwarden.db").exists()


def test_a_config_error_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "sipwarden.toml"
    config.write_text('[registrar]\nmin_expires = 60\nmax_expires = "soon"\n')
    result = sipwarden("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"sipwarden: {config}:3: [registrar] max_expires")


def test_a_bad_listen_flag_is_refused(tmp_path: Path) -> None:
    result = sipwarden("run", "--listen", "sctp:127.0.0.1:5060", cwd=tmp_path)
    assert result.returncode == 1
    assert "--listen" in result.stderr and "sctp" in result.stderr


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        result = sipwarden("run", "--listen", f"udp:127.0.0.1:{port}", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("sipwarden: cannot start:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_by_default_one_worker_per_core_shares_the_port(tmp_path: Path) -> None:
    """No --workers: one worker process per core behind one ready line (docs/workers.md)."""
    cores = os.cpu_count() or 1
    port = free_port()
    with SqliteUserStore.open(tmp_path / "d") as users:
        users.add("alice", "[::1]", "secret")
    args = ["--data-dir", str(tmp_path / "d"), "--listen", f"udp:127.0.0.1:{port}"]
    with running(args, cwd=tmp_path, timeout=30, workers=0) as server:
        ready = [line for line in server.log if "ready: listening on" in line]
        assert len(ready) == 1
        assert (f"; workers: {cores}" in ready[0]) == (cores > 1)
        for _ in range(4):  # from new source ports: whichever worker gets it answers
            assert options_over_udp("127.0.0.1", port).status == 200
        assert server.stop() == 0
    assert any("sipwarden stopped" in line for line in server.log)


INVITE = (
    "INVITE sip:alice@[::1]:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [::1]:{src};branch=z9hG4bKv6{src}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:probe@[::1]>;tag=1\r\nTo: <sip:alice@[::1]>\r\n"
    "Call-ID: v6-{src}@[::1]\r\nCSeq: 1 INVITE\r\nContact: <sip:probe@[::1]:{src}>\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_a_call_to_a_user_of_an_ipv6_domain_is_answered(tmp_path: Path) -> None:
    """The callee's AoR keeps its IPv6 reference's brackets (RFC 3261 §25.1): a user of the
    proxy's own domain [::1] with no registered contact gets 480 (§16.5), not silence."""
    config = tmp_path / "sipwarden.toml"
    config.write_text("[auth]\nauthenticate_calls = false\n")  # no 407 first
    with SqliteUserStore.open(tmp_path / "d") as users:
        users.add("alice", "[::1]", "secret")
    args = ["--data-dir", str(tmp_path / "d"), "--config", str(config), "--listen", "udp:[::1]:0"]
    with running(args, cwd=tmp_path) as server:
        port = int(server.addresses[0].rsplit(":", 1)[1])
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.bind(("::1", 0))
            src = sock.getsockname()[1]
            sock.sendto(INVITE.format(port=port, src=src).encode(), ("::1", port))
            final = None
            while final is None:
                reply = parse_datagram(sock.recv(65535))
                assert isinstance(reply, Response)
                if reply.status >= 200:
                    final = reply
        assert final.status == 480, final.status
