"""A call through `sipwarden run` with HEP capture and CDRs on (issue #8, docs/hep.md,
docs/cdr.md): the HEP collector receives every message of the call, in order, and the call
detail record says who called whom, that it was answered, and who hung up."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sipwarden.observe.hep import decode
from sipwarden.sip import Request, parse_datagram
from tests.integration.proxy.calls import ALICE, BOB, passed, registered_phone
from tests.integration.proxy.sippctl import SIPP, Proxy, call
from tests.integration.server.process import free_port, running, sipwarden

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]


def collected(collector: socket.socket) -> list[tuple[str, str]]:
    """(direction-free label, Call-ID) of each captured SIP message, in arrival order."""
    labels = []
    while True:
        try:
            data = collector.recv(65535)
        except TimeoutError:
            return labels
        packet = decode(data)
        message = parse_datagram(packet.payload)
        label = message.method if isinstance(message, Request) else str(message.status)
        labels.append((f"{label} {message.cseq.method}", message.call_id))


def test_hep_sees_every_message_of_a_call_and_a_cdr_is_written(tmp_path: Path) -> None:
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.1", 0))
    collector.settimeout(1.0)
    data = tmp_path / "data"
    for account in (ALICE, BOB):
        address = f"{account.user}@127.0.0.1"
        added = sipwarden(
            "users", "add", address, "--password", account.password, "--data-dir", str(data)
        )
        assert added.returncode == 0, added.stderr
    config = tmp_path / "sipwarden.toml"
    config.write_text(
        f'[hep]\nenabled = true\ncollector = "127.0.0.1:{collector.getsockname()[1]}"\n'
    )
    port = free_port()
    args = ["--data-dir", str(data), "--config", str(config), "--listen", f"udp:127.0.0.1:{port}"]
    try:
        with running(args, cwd=tmp_path) as server:
            proxy = Proxy("127.0.0.1", port, "u1")
            with registered_phone(tmp_path, proxy, BOB, "call_uas.xml", "bob") as bob:
                caller = call(tmp_path, "alice", "call_uac.xml", proxy, ALICE, BOB.user)
                passed(caller, bob.wait())
            assert server.stop() == 0
        messages = collected(collector)
    finally:
        collector.close()
    calls = {call_id for label, call_id in messages if label == "INVITE INVITE"}
    assert len(calls) == 1
    (call_id,) = calls
    of_call = [label for label, cid in messages if cid == call_id]
    # In and out through the proxy (each appears twice: received, then sent), in call order;
    # the first INVITE is challenged (407, ACK), then the authenticated one goes through.
    expected = [
        "INVITE INVITE",
        "407 INVITE",
        "ACK ACK",
        "INVITE INVITE",
        "INVITE INVITE",
        "180 INVITE",
        "180 INVITE",
        "200 INVITE",
        "200 INVITE",
        "ACK ACK",
        "ACK ACK",
        "BYE BYE",
        "BYE BYE",
        "200 BYE",
        "200 BYE",
    ]
    assert [label for label in of_call if not label.startswith("100 ")] == expected
    listed = sipwarden("cdr", "list", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr
    assert call_id in listed.stdout and "answered" in listed.stdout
