"""Every LocationStore test runs against both stores: in memory and SQLite on tmp_path."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipwarden.location import LocationStore, MemoryLocationStore
from sipwarden.location.sqlite import SqliteLocationStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocationStore]:
    made: LocationStore
    if request.param == "memory":
        made = MemoryLocationStore()
    else:
        made = SqliteLocationStore.open(tmp_path / "sipwarden.db")
    yield made
    asyncio.run(made.close())
