"""What the stream listeners share: listening sockets, accepting TLS, closing.

How this works: `create_server(ssl=...)` would run the TLS handshake before our code sees the
connection, so a source IP over the per-IP cap would still cost a handshake, and a failed
handshake could not be counted. The TLS and WSS listeners therefore bind their own socket
(`listening_socket`) and give it to an `Acceptor` with `Handshakes`: each accepted socket is
offered to `admit(host, port)`, which returns the connection's protocol or None (over the cap:
the socket is closed at once, before reading a byte); the handshake then runs in a task of its
own (`connect_accepted_socket`), bounded by `connect_timeout`, and a failure is reported to the
protocol as `fail("tls_handshake_failed", detail)`.

`Acceptor` also closes either kind of listener (a TCP/WS `asyncio.Server`, or a TLS/WSS socket):
`close` stops accepting and cancels the handshakes, `wait_closed` waits for them and only then
closes the listening socket. No socket may be left to the GC (a ResourceWarning), hence two
choices. Accepting happens in a readiness callback, not in a task awaiting `sock_accept`: a
task cancelled after its accept completed but before it resumed loses the accepted socket.
And a handshake's socket is closed in a done-callback, which always runs, because a task
cancelled before its first step never runs its `except` or `finally`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from sipwarden.transport.protocol import ConnectionProtocol

log = logging.getLogger(__name__)
ACCEPT_BATCH = 100  # connections accepted per readiness callback
ACCEPT_RETRY = 1.0  # seconds accepting pauses when out of file descriptors (asyncio's delay)
Spawn = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]


def listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking listening socket; IPv6 ones are IPv6-only, as `create_server` makes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


@dataclass(frozen=True, slots=True)
class Handshakes:
    """How a TLS or WSS listener takes an accepted socket: the per-IP cap (`admit` returns the
    connection's protocol, or None to refuse), then the TLS handshake (RFC 3261 §26.2.1, RFC
    7118 §5) in a task of its own (`spawn`), bounded by `timeout` seconds."""

    tls: ssl.SSLContext
    timeout: float
    admit: Callable[[str, int], ConnectionProtocol | None]
    spawn: Spawn

    def start(self, client: socket.socket, host: str, port: int) -> None:
        connection = self.admit(host, port)
        if connection is None:
            client.close()
            return
        task = self.spawn(_handshake(connection, client, self.tls, self.timeout))
        task.add_done_callback(partial(_unwind, connection, client))


async def _handshake(
    connection: ConnectionProtocol, sock: socket.socket, tls: ssl.SSLContext, timeout: float
) -> None:
    loop = asyncio.get_running_loop()
    try:
        await loop.connect_accepted_socket(
            lambda: connection, sock, ssl=tls, ssl_handshake_timeout=timeout
        )
    except Exception as error:  # ssl.SSLError, ConnectionError, TimeoutError: the peer's doing
        sock.close()
        connection.fail("tls_handshake_failed", describe(error))


def _unwind(
    connection: ConnectionProtocol, client: socket.socket, task: asyncio.Task[None]
) -> None:
    """A handshake cancelled by a listener's close, maybe before it started: release it."""
    if task.cancelled():
        client.close()
        connection.abort()


class Acceptor:
    """The accepting side of one listener: an `asyncio.Server` (TCP, WS), or a listening socket
    whose readiness callback accepts and starts `handshakes` (TLS, WSS); `tasks` holds the
    handshakes under way. Accepting in a callback: see the module comment.
    """

    def __init__(
        self,
        tasks: set[asyncio.Task[None]],
        server: asyncio.Server | None = None,
        sock: socket.socket | None = None,
        handshakes: Handshakes | None = None,
    ) -> None:
        self._tasks = tasks
        self._server = server
        self._sock = sock
        self._handshakes = handshakes
        self._loop = asyncio.get_running_loop()
        self._retry: asyncio.TimerHandle | None = None
        self._listen()

    def _listen(self) -> None:
        self._retry = None
        if self._sock is not None and self._handshakes is not None:
            self._loop.add_reader(self._sock.fileno(), self._accept)

    def _accept(self) -> None:
        """Accept what is waiting, a bounded batch at a time so other work is not starved."""
        assert self._sock is not None and self._handshakes is not None
        for _ in range(ACCEPT_BATCH):
            try:
                client, address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:  # out of descriptors (EMFILE, ENFILE, ENOBUFS): back off
                self._pause(error)
                return
            client.setblocking(False)
            self._handshakes.start(client, address[0], address[1])

    def _pause(self, error: OSError) -> None:
        """Stop accepting for `ACCEPT_RETRY` seconds, as asyncio's own servers do."""
        log.warning("accept failed, retrying in %s s: %s", ACCEPT_RETRY, describe(error))
        self._stop_reading()
        self._retry = self._loop.call_later(ACCEPT_RETRY, self._listen)

    def _stop_reading(self) -> None:
        if self._sock is not None and self._sock.fileno() >= 0:
            self._loop.remove_reader(self._sock.fileno())
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    def close(self) -> None:
        """Stop accepting, and cancel every handshake under way."""
        if self._server is not None:
            self._server.close()
        self._stop_reading()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self) -> None:
        """Wait until every task has unwound, then close the listening socket."""
        if self._server is not None:
            await self._server.wait_closed()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        if self._sock is not None:
            self._sock.close()


def describe(error: BaseException) -> str:
    """One log-friendly line for an error (its message, else its type), at most 200 chars."""
    text = str(error) or type(error).__name__
    return text.replace("\n", " ")[:200]
