"""The accept side shared by TLS and WSS listeners (accept.py), on loopback."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl

import pytest

from sipwarden.transport.accept import Acceptor, Handshakes
from sipwarden.transport.protocol import ConnectionProtocol
from tests.integration.transport.test_tcp import run_on, until

pytestmark = pytest.mark.timeout(30)


class OutOfDescriptors(socket.socket):
    """A listening socket whose every accept fails as when the process has no fd left."""

    def accept(self) -> tuple[socket.socket, tuple[str, int]]:
        raise OSError(errno.EMFILE, "Too many open files")


def refuse_all(host: str, port: int) -> ConnectionProtocol | None:
    return None


async def accept_fails(caplog: pytest.LogCaptureFixture) -> None:
    sock = OutOfDescriptors(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.setblocking(False)
    tasks: set[asyncio.Task[None]] = set()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    spawn = asyncio.get_running_loop().create_task
    acceptor = Acceptor(tasks, sock=sock, handshakes=Handshakes(tls, 1.0, refuse_all, spawn))
    client = socket.create_connection(sock.getsockname())
    await until(lambda: "accept failed" in caplog.text)
    await asyncio.sleep(0.05)  # paused, not spinning on a socket that stays readable
    assert caplog.text.count("accept failed") == 1
    acceptor.close()
    await acceptor.wait_closed()
    assert sock.fileno() == -1
    client.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_out_of_descriptors_pauses_accepting(loop: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "sipwarden.transport.accept"):
        run_on(loop, accept_fails(caplog))
