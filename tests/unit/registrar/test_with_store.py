"""The registrar run inside `LocationStore.update`, as the server wires it, on both stores."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipwarden.location import Binding, LocationStore, MemoryLocationStore
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.registrar import RegisterResult, aor_of
from sipwarden.sip import Request

from .helpers import NOW, register, registrar

PHONE = "sip:alice@192.0.2.1:5060"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocationStore]:
    made: LocationStore = (
        MemoryLocationStore()
        if request.param == "memory"
        else SqliteLocationStore.open(tmp_path / "sipwarden.db")
    )
    yield made
    asyncio.run(made.close())


def handle(store: LocationStore, request: Request, now: float) -> RegisterResult:
    reg = registrar()
    aor = aor_of(request.to.uri)

    def change(current: list[Binding]) -> tuple[RegisterResult, list[Binding]]:
        return reg.apply(request, aor, current, source="udp:192.0.2.1:5060", now=now)

    return asyncio.run(store.update(aor, change, now))


def test_register_refresh_refuse_and_expire(store: LocationStore) -> None:
    aor = "sip:alice@example.com"
    assert handle(store, register(f"<{PHONE}>", expires=600), NOW).status == 200
    assert handle(store, register(f"<{PHONE}>", expires=600, cseq=2), NOW + 100).status == 200
    stale = handle(store, register(f"<{PHONE}>", expires=0, cseq=2), NOW + 200)
    assert stale.status == 500  # out of order: nothing was committed
    [b] = asyncio.run(store.lookup(aor, NOW + 200))
    assert (b.cseq, b.expires_at) == (2, NOW + 700)
    assert asyncio.run(store.next_expiry()) == NOW + 700
    assert asyncio.run(store.expire(NOW + 700)) == [b]
    query = handle(store, register(), NOW + 701)
    assert (query.status, query.bindings) == (200, ())


def test_unregister_everything_with_star(store: LocationStore) -> None:
    handle(store, register(f"<{PHONE}>", "<sip:alice@192.0.2.2>"), NOW)
    result = handle(store, register("*", expires=0, cseq=2), NOW + 1)
    assert result.status == 200
    assert asyncio.run(store.count(NOW + 1)) == 0
