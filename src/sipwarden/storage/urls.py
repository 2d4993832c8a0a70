"""Where the stores live, as URLs (docs/cluster.md): `[storage] url` / `--storage` for users and
forwarding, `[state] url` / `--state` for the location service, nonce counts and bans.

    sqlite:///ABSOLUTE/PATH.db  sqlite:RELATIVE.db   the embedded file (default: the data
                                                     directory's sipwarden.db)
    redis://[:PASSWORD@]HOST[:PORT][/DB]             state only (rediss:// for TLS)
    postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB    storage only (postgres:// too)

How this works: `check_state_url`/`check_storage_url` only parse (the config loader calls them,
so a bad URL is a one-line error before anything starts); `open_state`/`open_storage` import
the backend they need when they are called, so the embedded default runs with neither redis
nor asyncpg installed. Messages never repeat a password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from sipwarden.errors import LocalError

if TYPE_CHECKING:
    from sipwarden.storage.bundles import State, Storage

REDIS_PREFIX = "sipwarden:"
STATE_FORMS = "sqlite:///PATH or redis://HOST:PORT/DB"
STORAGE_FORMS = "sqlite:///PATH or postgresql://USER@HOST:PORT/DB"


class StoreUrlError(LocalError):
    """A store URL cannot be used; the message is one line and names what is wrong."""


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A checked URL: `kind` is "sqlite", "redis" or "postgresql"; `path` the SQLite file
    (None: the data directory's); `url` the text given (with its password: do not log it)."""

    kind: str
    url: str
    path: str | None = None

    def redacted(self) -> str:
        """The URL without its password, for logs and the admin API."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()


_ELSEWHERE = {
    "redis": " (Redis holds the state: [state] url, --state)",
    "rediss": " (Redis holds the state: [state] url, --state)",
    "postgresql": " (PostgreSQL holds users and forwarding: [storage] url, --storage)",
    "postgres": " (PostgreSQL holds users and forwarding: [storage] url, --storage)",
}
_Checker = Callable[[str, SplitResult], "StoreUrl"]


def check_state_url(url: str) -> StoreUrl:
    """`url` for `[state]`: empty or sqlite or redis; StoreUrlError otherwise."""
    return _check(url, {"sqlite": _sqlite, "redis": _redis, "rediss": _redis}, STATE_FORMS)


def check_storage_url(url: str) -> StoreUrl:
    """`url` for `[storage]`: empty or sqlite or postgresql; StoreUrlError otherwise."""
    kinds: dict[str, _Checker] = {
        "sqlite": _sqlite,
        "postgresql": _postgresql,
        "postgres": _postgresql,
    }
    return _check(url, kinds, STORAGE_FORMS)


def _check(url: str, kinds: dict[str, _Checker], forms: str) -> StoreUrl:
    text = url.strip()
    if not text:
        return StoreUrl("sqlite", "", None)
    scheme = text.partition(":")[0].lower() if ":" in text else ""
    if scheme not in kinds:
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        hint = _ELSEWHERE.get(scheme, "")
        raise StoreUrlError(f"unsupported store URL ({shown}); expected {forms}{hint}")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise StoreUrlError(f"bad {scheme} URL: {exc}") from None
    return kinds[scheme](text, parts)


def _sqlite(url: str, parts: SplitResult) -> StoreUrl:
    if parts.netloc:
        raise StoreUrlError(f"sqlite URL has a host ({parts.hostname!r}); write sqlite:///PATH")
    if parts.query or parts.fragment:
        raise StoreUrlError("sqlite URL takes no ?query or #fragment")
    return StoreUrl("sqlite", url, parts.path or None)


def _redis(url: str, parts: SplitResult) -> StoreUrl:
    if not parts.hostname:
        raise StoreUrlError("redis URL has no host; write redis://HOST:PORT/DB")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise StoreUrlError(f"redis URL database must be a number, got {db!r}")
    return StoreUrl("redis", url)


def _postgresql(url: str, parts: SplitResult) -> StoreUrl:
    if not parts.path.strip("/"):
        raise StoreUrlError("postgresql URL names no database; write postgresql://HOST/DB")
    return StoreUrl("postgresql", url)


def sqlite_file(checked: StoreUrl, data_dir: str | Path) -> Path:
    """The SQLite file of `checked` (a sqlite URL): its path, or the data directory's."""
    from sipwarden.storage.sqlite import database_path

    if checked.path is None:
        return database_path(data_dir)
    path = Path(checked.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


async def open_state(url: str, *, data_dir: str | Path, prefix: str = REDIS_PREFIX) -> State:
    """The location, nonce-count and ban stores at `url` (empty: the data directory's SQLite
    file). StoreUrlError for a bad URL; StoreUnavailable when Redis does not answer."""
    from sipwarden.storage import bundles

    checked = check_state_url(url)
    if checked.kind == "redis":
        return await bundles.open_redis_state(checked, prefix)
    return bundles.open_sqlite_state(checked, sqlite_file(checked, data_dir))


async def open_storage(url: str, *, data_dir: str | Path) -> Storage:
    """The user and forwarding stores at `url` (empty: the data directory's SQLite file),
    migrated. StoreUrlError for a bad URL; StoreUnavailable when PostgreSQL does not answer."""
    from sipwarden.storage import bundles

    checked = check_storage_url(url)
    if checked.kind == "postgresql":
        return await bundles.open_postgres_storage(checked)
    return bundles.open_sqlite_storage(checked, sqlite_file(checked, data_dir))
