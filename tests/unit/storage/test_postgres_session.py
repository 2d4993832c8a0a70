"""Database.session when the server has ended the session: the caller sees StoreUnavailable.

asyncpg detaches a connection the server closed from its pool proxy; `terminate()` on the proxy
then raises InterfaceError. That must not replace the StoreUnavailable the caller handles (it
did once in tests/integration/stores/test_faults.py, under load). A fake pool stands in for
asyncpg's, so the timing is fixed rather than raced."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from sipwarden.storage.errors import StoreUnavailable
from sipwarden.storage.postgres import Database


class _Connection:
    def __init__(self, detached: bool) -> None:
        self.detached = detached
        self.terminated = False

    def terminate(self) -> None:
        if self.detached:
            raise asyncpg.InterfaceError(
                "cannot call Connection.terminate(): connection has been released back to the pool"
            )
        self.terminated = True


class _Pool:
    def __init__(self, connection: _Connection) -> None:
        self.connection = connection
        self.released: list[_Connection] = []

    async def acquire(self, timeout: float) -> _Connection:
        return self.connection

    async def release(self, connection: _Connection) -> None:
        self.released.append(connection)


async def _fail_in_session(pool: _Pool) -> None:
    async with Database(pool).session():
        raise StoreUnavailable("postgresql", "connection was closed in the middle of operation")


@pytest.mark.parametrize("detached", [False, True])
def test_a_lost_connection_still_reports_store_unavailable(detached: bool) -> None:
    pool = _Pool(_Connection(detached))
    with pytest.raises(StoreUnavailable):
        asyncio.run(_fail_in_session(pool))
    assert pool.connection.terminated is not detached  # terminated when it still could be
    assert pool.released == [pool.connection]  # and always handed back to the pool
