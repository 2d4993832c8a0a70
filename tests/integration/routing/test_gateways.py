"""Routing rules and gateway groups in the running server (issue #6, docs/routing.md).

- Failover across a gateway group whose gateways are SIPp UASes: the first answers 503, the
  second is down (nothing listens on its TCP port: a transport error), the third answers 200;
  the call connects through the third and the caller saw the whole dialog.
- OPTIONS probes mark a destination down when it stops answering and up when it answers again,
  with the reason in its history (read through the admin API).
- A reload (SIGHUP) with broken rules is refused and the running rules stay in place.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.integration.proxy.calls import ALICE, passed
from tests.integration.proxy.sippctl import SIPP, Proxy, call, phone
from tests.integration.server.process import Running, free_port, running, sipwarden

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]
ADMIN = re.compile(r"admin API and dashboard on (http://\S+)")


def gateway_rules(gateways: list[str], probe: str = "{ interval = 0 }") -> str:
    destinations = ", ".join(
        f'{{ uri = "{uri}", priority = {n} }}' for n, uri in enumerate(gateways)
    )
    return f"""
[[rules]]
name = "local-callers"
match = {{ from_local = true }}
challenge = true

[[rules]]
name = "pstn"
match = {{ ruri_user = '\\+\\d+' }}
forward = {{ gateway = "carriers" }}

[gateways.carriers]
select = "priority"
probe = {probe}
destinations = [{destinations}]
"""


@contextmanager
def serve(tmp_path: Path, config: str) -> Iterator[tuple[Running, Proxy]]:
    data = tmp_path / "data"
    added = sipwarden(
        "users", "add", "alice@127.0.0.1", "--password", ALICE.password, "--data-dir", str(data)
    )
    assert added.returncode == 0, added.stderr
    path = tmp_path / "sipwarden.toml"
    path.write_text(config)
    port = free_port()
    args = ["--data-dir", str(data), "--config", str(path)]
    args += ["--listen", f"udp:127.0.0.1:{port}", "--listen", f"tcp:127.0.0.1:{port}"]
    with running(args, cwd=tmp_path) as server:
        yield server, Proxy("127.0.0.1", port, "u1")


def test_a_call_fails_over_from_503_and_a_dead_gateway_to_the_one_that_answers(
    tmp_path: Path,
) -> None:
    busy_port, dead_port, good_port = free_port(), free_port(), free_port()
    gateways = [
        f"sip:127.0.0.1:{busy_port}",
        f"sip:127.0.0.1:{dead_port};transport=tcp",  # nothing listens: connection refused
        f"sip:127.0.0.1:{good_port}",
    ]
    with serve(tmp_path, gateway_rules(gateways)) as (_server, proxy), ExitStack() as stack:
        busy = stack.enter_context(phone(tmp_path, "gw-503", "gw_uas_503.xml", proxy, busy_port))
        good = stack.enter_context(phone(tmp_path, "gw-ok", "call_uas.xml", proxy, good_port))
        caller = call(tmp_path, "alice", "call_uac.xml", proxy, ALICE, "+4930123456")
        passed(caller, busy.wait(), good.wait())


def gateway_history(url: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(url + "/api/gateways", timeout=5) as reply:
        return list(json.loads(reply.read())["items"])


def admin_url(server: Running) -> str:
    for line in server.log:
        found = ADMIN.search(line)
        if found:
            return found.group(1)
    raise AssertionError("no admin URL in the log")


class OptionsResponder:
    """A UDP peer answering every OPTIONS with 200 while `answering` is True."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.05)
        self.answering = True

    def serve_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            if self.answering and data.startswith(b"OPTIONS"):
                self.sock.sendto(_ok(data), peer)

    def close(self) -> None:
        self.sock.close()


def _ok(request: bytes) -> bytes:
    head = request.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [
        line
        for line in head[1:]
        if line.split(b":", 1)[0].lower() in (b"via", b"from", b"to", b"call-id", b"cseq")
    ]
    return b"\r\n".join([b"SIP/2.0 200 OK", *keep, b"Content-Length: 0", b"", b""])


def wait_state(url: str, up: bool, responder: OptionsResponder, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        responder.serve_for(0.2)
        (row,) = gateway_history(url)
        if row["up"] is up:
            return row
    raise AssertionError(f"the gateway never went {'up' if up else 'down'}")


def test_probes_mark_a_gateway_down_and_up_again(tmp_path: Path) -> None:
    port = free_port()
    probe = "{ interval = 0.3, down_after = 2, up_after = 2 }"
    responder = OptionsResponder(port)
    try:
        with serve(tmp_path, gateway_rules([f"sip:127.0.0.1:{port}"], probe)) as (server, _):
            url = admin_url(server)
            responder.serve_for(1.0)
            assert gateway_history(url)[0]["up"] is True
            responder.answering = False
            down = wait_state(url, False, responder)
            assert "down at" in str(down["history"]) and "2 OPTIONS timed out" in str(
                down["history"]
            )
            responder.answering = True
            up = wait_state(url, True, responder)
            assert "up at" in str(up["history"])
    finally:
        responder.close()


def test_a_broken_reload_keeps_the_running_rules(tmp_path: Path) -> None:
    good = gateway_rules([f"sip:127.0.0.1:{free_port()}"])
    with serve(tmp_path, good) as (server, _):
        (tmp_path / "sipwarden.toml").write_text(
            good + '\n[[rules]]\nforward = { gateway = "nope" }\n'
        )
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not any("reload refused" in line for line in server.log):
            assert time.monotonic() < deadline, "no reload log line"
            time.sleep(0.05)
        refused = next(line for line in server.log if "reload refused" in line)
        assert 'no gateway group "nope"' in refused
        (tmp_path / "sipwarden.toml").write_text(good)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not any("routing swapped" in line for line in server.log):
            assert time.monotonic() < deadline, "no reload log line"
            time.sleep(0.05)
