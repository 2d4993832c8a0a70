"""End to end, as a new user does it: `sipwarden users add`, `sipwarden run`, a SIPp phone
registers with digest auth over UDP and TCP (RFC 3261 §10, §22), unregisters, and the
bindings survive a restart."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.server.process import free_port, running, sipwarden

SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).parent.parent / "sipp"
PASSWORD = "correct-horse-7"  # SIPp cuts [authentication] values at a space

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    added = sipwarden(
        "users", "add", "alice@127.0.0.1", "--password", PASSWORD, "--data-dir", str(directory)
    )
    assert added.returncode == 0, added.stderr
    return directory


def sipp(
    workdir: Path,
    scenario: str,
    port: int,
    transport: str,
    user: str,
    password: str,
    local_port: int,
    *extra: str,
) -> subprocess.CompletedProcess[str]:
    """One SIPp call of `scenario` as `user`, from 127.0.0.1:`local_port`."""
    assert SIPP is not None
    fields = workdir / "user.csv"
    fields.write_text(
        f"SEQUENTIAL\n{user};[authentication username={user} password={password}];127.0.0.1;3600\n"
    )
    command = [
        SIPP,
        "-sf",
        str(SCENARIOS / scenario),
        "-inf",
        str(fields),
        "-m",
        "1",
        "-t",
        transport,
        "-i",
        "127.0.0.1",
        "-p",
        str(local_port),
        "-timeout",
        "15s",
        "-nostdin",
        "-trace_err",
        *extra,
        f"127.0.0.1:{port}",
    ]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=30)


def errors(workdir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in workdir.glob("*_errors.log"))


def listen_args(data_dir: Path, port: int) -> list[str]:
    return [
        "--data-dir",
        str(data_dir),
        "--listen",
        f"udp:127.0.0.1:{port}",
        "--listen",
        f"tcp:127.0.0.1:{port}",
    ]


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
def test_register_query_and_unregister(tmp_path: Path, data_dir: Path, transport: str) -> None:
    port, phone = free_port(), free_port()
    with running(listen_args(data_dir, port), cwd=tmp_path) as server:
        for scenario in ("register_ok.xml", "register_query.xml", "register_unbind.xml"):
            result = sipp(tmp_path, scenario, port, transport, "alice", PASSWORD, phone)
            assert result.returncode == 0, f"{scenario}: {errors(tmp_path)}"
        assert server.stop() == 0
    assert any("sipwarden stopped" in line for line in server.log)


def test_bindings_survive_a_restart(tmp_path: Path, data_dir: Path) -> None:
    port, phone = free_port(), free_port()
    with running(listen_args(data_dir, port), cwd=tmp_path) as server:
        result = sipp(tmp_path, "register_ok.xml", port, "u1", "alice", PASSWORD, phone)
        assert result.returncode == 0, errors(tmp_path)
        assert server.stop() == 0
    with running(listen_args(data_dir, port), cwd=tmp_path):
        result = sipp(tmp_path, "register_query.xml", port, "u1", "alice", PASSWORD, phone)
        assert result.returncode == 0, errors(tmp_path)


def final_response(messages: Path) -> list[str]:
    """The last message SIPp received, as lines, from its -trace_msg log."""
    text = messages.read_text(errors="replace").replace("\r", "")
    blocks = [block.splitlines() for block in text.split("-" * 47 + " ")]
    received = [lines for lines in blocks if len(lines) > 1 and "message received" in lines[1]]
    return [line for line in received[-1][2:] if line.strip()]


def shape(lines: list[str]) -> tuple[object, ...]:
    """What must not tell an unknown user from a wrong password: status line, header names
    in order, and each challenge's realm and algorithm (RFC 7616 §5.12's concern)."""
    names = [line.split(":", 1)[0] for line in lines[1:]]
    challenges = [
        (line.split('realm="')[1].split('"')[0], line.rsplit("algorithm=", 1)[1])
        for line in lines
        if line.startswith("WWW-Authenticate:")
    ]
    return lines[0], names, challenges


def test_unknown_user_and_wrong_password_are_indistinguishable(
    tmp_path: Path, data_dir: Path
) -> None:
    port = free_port()
    shapes = []
    with running(listen_args(data_dir, port), cwd=tmp_path):
        for user, password in (("alice", "wrong password"), ("mallory", PASSWORD)):
            workdir = tmp_path / user
            workdir.mkdir()
            result = sipp(
                workdir,
                "register_rejected.xml",
                port,
                "u1",
                user,
                password,
                free_port(),
                "-trace_msg",
            )
            assert result.returncode == 0, errors(workdir)
            (messages,) = workdir.glob("*_messages.log")
            shapes.append(shape(final_response(messages)))
    assert shapes[0][0] == "SIP/2.0 401 Unauthorized"
    assert shapes[0] == shapes[1]
