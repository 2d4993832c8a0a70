"""Outbound TCP and TLS connections (RFC 3261 §18.1: towards the next hop).

How this works: `connect` returns a `StreamConnection` registered at once, so a second request
to the same peer finds it (§18.1 reuse) and what is sent meanwhile is queued; a task opens the
connection, TLS handshake included, within `connect_timeout`. A failure is counted as
`connect_failed` and each queued message is reported through `on_send_error`.
"""

from __future__ import annotations

import asyncio
import ssl

from sipwarden.transport.accept import describe
from sipwarden.transport.address import Address
from sipwarden.transport.stream import StreamConnection, StreamContext


def connect(
    context: StreamContext, address: Address, tls: ssl.SSLContext | None
) -> StreamConnection:
    """Open an outbound connection to `address` (TCP when `tls` is None, else TLS with the
    host checked against the certificate); returns at once, see the module comment."""
    connection = StreamConnection(context, peer=address, inbound=False)
    context.spawn(_open(connection, address, tls))
    return connection


async def _open(connection: StreamConnection, address: Address, tls: ssl.SSLContext | None) -> None:
    loop = asyncio.get_running_loop()
    limits = connection.context.conn_limits
    try:
        async with asyncio.timeout(limits.connect_timeout):
            await loop.create_connection(
                lambda: connection,
                address.host,
                address.port,
                ssl=tls,
                server_hostname=address.host if tls is not None else None,
                ssl_handshake_timeout=limits.connect_timeout if tls is not None else None,
            )
    except Exception as error:  # OSError, ssl.SSLError, TimeoutError
        connection.fail("connect_failed", describe(error))
