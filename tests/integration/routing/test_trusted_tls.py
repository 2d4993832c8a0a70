"""Trusted peers by TLS client certificate (issue #6 item 3, docs/routing.md): a trunk whose
certificate name is listed skips the challenge and its own rule applies; the same client is
not trusted when the configured name differs; `destinations` limits what a peer may call."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from sipwarden.sip import Response, StreamFramer
from tests.integration.server.process import free_port, running
from tests.integration.transport.certs import make_pki

pytestmark = pytest.mark.timeout(60)

RULES = """
[[rules]]
name = "from-carrier"
match = {{ trusted = "carrier" }}
reply = {{ code = 480, reason = "Trusted Carrier" }}

[[rules]]
name = "others"
reply = {{ code = 403, reason = "Not Trusted" }}

[[trusted]]
name = "carrier"
tls_names = ["{name}"]
destinations = ['\\+\\d+']
"""


def invite(port: int, pki_dir: Path, user: str) -> Response:
    """An INVITE over TLS with the test client certificate; the final answer."""
    context = ssl.create_default_context(cafile=str(pki_dir / "ca.crt"))
    context.load_cert_chain(pki_dir / "client.crt", pki_dir / "client.key")
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        local = tls.getsockname()[1]
        message = (
            f"INVITE sip:{user}@carrier.example SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS 127.0.0.1:{local};branch=z9hG4bKtrust{user.strip('+')}\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:+4930999@carrier.example>;tag=t1\r\n"
            f"To: <sip:{user}@carrier.example>\r\nCall-ID: trust-{user}@carrier\r\n"
            f"CSeq: 1 INVITE\r\nContact: <sip:gw@127.0.0.1:{local};transport=tls>\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        tls.sendall(message.encode())
        framer = StreamFramer()
        while True:
            framer.feed(tls.recv(65535))
            while (event := framer.next_event()) is not None:
                if isinstance(event, Response) and event.status >= 200:
                    return event


def serve(tmp_path: Path, name: str) -> tuple[object, int, Path]:
    pki_dir = tmp_path / "pki"
    pki_dir.mkdir()
    pki = make_pki(pki_dir)
    config = tmp_path / "sipwarden.toml"
    config.write_text(
        f'[tls]\ncert = "{pki.server_cert}"\nkey = "{pki.server_key}"\nca = "{pki.ca}"\n'
        "verify_client = true\n" + RULES.format(name=name)
    )
    port = free_port()
    args = [
        "--data-dir",
        str(tmp_path / "data"),
        "--config",
        str(config),
        "--listen",
        f"tls:127.0.0.1:{port}",
    ]
    return running(args, cwd=tmp_path), port, pki_dir


@pytest.mark.parametrize(
    ("name", "user", "expected"),
    [
        ("client", "+4930123", (480, "Trusted Carrier")),  # the certificate's CN is listed
        ("CLIENT", "+4930123", (480, "Trusted Carrier")),  # names compare without case
        ("client", "alice", (403, "Destination Not Allowed")),  # outside its destinations
        ("someone-else", "+4930123", (403, "Not Trusted")),  # another name: not trusted
    ],
)
def test_trust_by_client_certificate(
    tmp_path: Path, name: str, user: str, expected: tuple[int, str]
) -> None:
    server, port, pki_dir = serve(tmp_path, name)
    with server:  # type: ignore[attr-defined]
        reply = invite(port, pki_dir, user)
    assert (reply.status, reply.reason) == expected
