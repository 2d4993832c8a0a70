"""Loopback helpers for WS/WSS tests: a wsproto client over asyncio streams and an OPTIONS
responder built on `start_ws` (RFC 7118)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from sipwarden.sip import Request as SipRequest
from sipwarden.sip import build_response
from sipwarden.transport import Received, response_destination
from sipwarden.transport.address import Address
from sipwarden.transport.connections import ConnectionLimits, ConnectionTable
from sipwarden.transport.inbound import Limits
from sipwarden.transport.listen import ListenSpec
from sipwarden.transport.loop import new_event_loop
from sipwarden.transport.websocket import WsListener, start_ws

TIMEOUT = 3.0
T = TypeVar("T")
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": new_event_loop,  # uvloop when installed
    "asyncio": asyncio.new_event_loop,
}


def run_on(loop: str, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    """Run `coro` on a fresh loop of kind `loop` (a key of LOOPS), bounded by `timeout` s."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        return runner.run(bounded())


class WsClient:
    """One client connection; `accepted` tells whether the upgrade succeeded."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events: deque[Event] = deque()
        self.accepted: AcceptConnection | None = None
        self.rejected: RejectConnection | None = None
        self.reject_body = b""
        self._parts: list[str | bytes] = []

    @property
    def local(self) -> tuple[str, int]:
        host, port = self.writer.get_extra_info("sockname")[:2]
        return host, port

    async def handshake(self, subprotocols: list[str]) -> None:
        host = "localhost"
        await self.write(self.ws.send(Request(host=host, target="/", subprotocols=subprotocols)))
        while self.accepted is None and self.rejected is None:
            event = await self._next_raw()
            if isinstance(event, AcceptConnection):
                self.accepted = event
            elif isinstance(event, RejectConnection):
                self.rejected = event
        while self.rejected is not None:
            event = await self._next_raw()
            if isinstance(event, RejectData):
                self.reject_body += event.data
                if event.body_finished:
                    return

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send_text(self, text: str) -> None:
        await self.write(self.ws.send(TextMessage(text)))

    async def send_bytes(self, data: bytes) -> None:
        await self.write(self.ws.send(BytesMessage(data)))

    async def ping(self, payload: bytes) -> None:
        await self.write(self.ws.send(Ping(payload)))

    async def close(self, code: int = 1000) -> None:
        await self.write(self.ws.send(CloseConnection(code)))

    async def recv(self) -> Event:
        """The next event, with data messages reassembled into one TextMessage/BytesMessage."""
        while True:
            event = await self._next_raw()
            if not isinstance(event, Message):
                return event
            self._parts.append(event.data)
            if event.message_finished:
                return self._whole(event)

    async def recv_message(self) -> bytes:
        """The next data message as bytes (text is UTF-8 encoded); fails on anything else."""
        event = await self.recv()
        if isinstance(event, TextMessage):
            return event.data.encode()
        assert isinstance(event, BytesMessage), f"expected a message, got {event!r}"
        return bytes(event.data)

    async def wait_eof(self) -> bytes:
        """Everything the server still sends until it closes the connection."""
        async with asyncio.timeout(TIMEOUT):
            return await self.reader.read()

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):  # the server hung up first
            await self.writer.wait_closed()

    def _whole(self, last: Message[str] | Message[bytes | bytearray]) -> Event:
        parts, self._parts = self._parts, []
        if isinstance(last, TextMessage):
            return TextMessage("".join(str(part) for part in parts))
        return BytesMessage(b"".join(bytes(part) for part in parts if not isinstance(part, str)))

    async def _next_raw(self) -> Event:
        async with asyncio.timeout(TIMEOUT):
            while not self.events:
                data = await self.reader.read(65536)
                if not data and self.ws.state in (
                    ConnectionState.CONNECTING,
                    ConnectionState.CLOSED,
                ):
                    raise EOFError("the server closed the connection")
                self.ws.receive_data(data or None)
                self.events.extend(self.ws.events())
        return self.events.popleft()


async def connect(
    to: Address,
    subprotocols: list[str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> WsClient:
    """Open a TCP (or TLS) connection to `to` and run the opening handshake (RFC 6455 §4.1)."""
    server_hostname = to.host if ssl_context is not None else None
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await asyncio.open_connection(
            to.host, to.port, ssl=ssl_context, server_hostname=server_hostname
        )
    client = WsClient(reader, writer)
    try:
        await client.handshake(["sip"] if subprotocols is None else subprotocols)
    except BaseException:
        await client.aclose()
        raise
    return client


def options(branch: str, transport: str = "WS", extra: str = "") -> str:
    """An OPTIONS as a browser would send it (RFC 7118 §5.2: a `.invalid` sent-by)."""
    return (
        "OPTIONS sip:ping@example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} df7jal23ls0d.invalid;rport;branch=z9hG4bK{branch}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:t@example.com>;tag=1\r\nTo: <sip:ping@example.com>\r\n"
        f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    )


@asynccontextmanager
async def ws_responder(
    host: str,
    ssl_context: ssl.SSLContext | None = None,
    limits: Limits | None = None,
    conn_limits: ConnectionLimits | None = None,
    max_per_ip: int = 0,
) -> AsyncIterator[WsListener]:
    """A WS (or, with `ssl_context`, WSS) listener on `host`, port 0, answering every request
    with 200 over the connection it came on (RFC 3261 §18.2.2, RFC 7118 §5.3)."""
    table = ConnectionTable(max_per_ip)

    def on_message(event: Received) -> None:
        if isinstance(event.message, SipRequest):
            reply = build_response(event.message, 200)
            open_ = event.connection is not None and table.get(event.connection) is not None
            destination = response_destination(reply.top_via, event.connection, open_)
            connection = table.get(destination.connection or 0)
            assert connection is not None, "the request's connection is gone"
            connection.send(reply.serialize())

    proto = "ws" if ssl_context is None else "wss"
    spec = ListenSpec(proto, host, 0)
    listener = await start_ws(spec, on_message, limits or Limits(), table, ssl_context, conn_limits)
    try:
        yield listener
    finally:
        listener.close()
        await listener.wait_closed()
