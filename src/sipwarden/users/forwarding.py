"""Per-user call forwarding: where a call goes instead of (or after) the user's phones.

Four kinds (docs/forwarding.md): `always` (unconditional), `busy` (486 or 600 from the
phones), `no_answer` (no answer within `no_answer_after` seconds) and `unregistered` (no
registered contact). A target is a SIP, SIPS or tel URI; `Forwarding.expand(domain)` turns a
bare user name ("voicemail") or `user@host` into `sip:user@host`, so a stored `Forwarding`
always holds absolute URIs.

The `forwarding` table sits in the same database as `users`, keyed like it by
(user, lower(domain)). It has no foreign key to `users` on purpose: a later migration of
`users` that rebuilds the table would cascade into this one. Whoever removes an account also
calls `SqliteForwardingStore.clear` (the CLI does both in one transaction).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

from sipwarden.config.names import check_domain, check_user
from sipwarden.errors import ParseError
from sipwarden.sip.uri import SipUri, TelUri, parse_uri
from sipwarden.storage.sqlite import migrate
from sipwarden.users.errors import UserError

Clock = Callable[[], float]

DEFAULT_NO_ANSWER_AFTER = 20
MAX_NO_ANSWER_AFTER = 3600
KINDS = ("always", "busy", "no_answer", "unregistered")

COMPONENT = "forwarding"
MIGRATIONS = (
    """
    CREATE TABLE forwarding (
        user TEXT NOT NULL,
        domain TEXT NOT NULL COLLATE NOCASE,
        always TEXT,
        busy TEXT,
        no_answer TEXT,
        no_answer_after INTEGER NOT NULL DEFAULT 20,
        unregistered TEXT,
        updated INTEGER NOT NULL,
        PRIMARY KEY (user, domain)
    )
    """,
)
_COLUMNS = "always, busy, no_answer, no_answer_after, unregistered"
_SELECT = f"SELECT user, domain, {_COLUMNS} FROM forwarding"
_FIND = f"{_SELECT} WHERE user = ? AND domain = ?"  # per call: built once


class ForwardingError(UserError):
    """A forwarding setting is invalid: a target that is no URI, a delay out of range."""


@dataclass(frozen=True, slots=True)
class Forwarding:
    """Forwarding targets of one user; None: that kind is off.

    Each target is a user name, `user@host`, or a SIP/SIPS/tel URI without headers (it becomes
    a Request-URI, RFC 3261 §19.1.1); ForwardingError otherwise. `no_answer_after` is whole
    seconds, 1 to MAX_NO_ANSWER_AFTER.
    """

    always: str | None = None
    busy: str | None = None
    no_answer: str | None = None
    no_answer_after: int = DEFAULT_NO_ANSWER_AFTER
    unregistered: str | None = None

    def __post_init__(self) -> None:
        for kind in KINDS:
            target = getattr(self, kind)
            if target is not None:
                forward_target(target, "example.invalid", kind)
        after = self.no_answer_after
        if isinstance(after, bool) or not isinstance(after, int):
            raise ForwardingError(f"no-answer delay must be whole seconds, got {after!r}")
        if not 1 <= after <= MAX_NO_ANSWER_AFTER:
            raise ForwardingError(
                f"no-answer delay must be 1 to {MAX_NO_ANSWER_AFTER} seconds, got {after}"
            )

    @property
    def empty(self) -> bool:
        """True when no kind has a target (nothing to store)."""
        return all(getattr(self, kind) is None for kind in KINDS)

    def expand(self, domain: str) -> Forwarding:
        """The same settings with every target an absolute URI (bare users in `domain`)."""

        def expanded(target: str | None, kind: str) -> str | None:
            return None if target is None else forward_target(target, domain, kind)

        return replace(
            self,
            always=expanded(self.always, "always"),
            busy=expanded(self.busy, "busy"),
            no_answer=expanded(self.no_answer, "no_answer"),
            unregistered=expanded(self.unregistered, "unregistered"),
        )

    def describe(self) -> str:
        """One line for people: `busy -> sip:vm@example.com, no-answer after 20s -> ...`."""
        parts = []
        for kind in KINDS:
            target = getattr(self, kind)
            if target is None:
                continue
            label = kind.replace("_", "-")
            if kind == "no_answer":
                label += f" after {self.no_answer_after}s"
            parts.append(f"{label} -> {target}")
        return ", ".join(parts) if parts else "no forwarding"


def forward_target(text: str, domain: str, kind: str = "forwarding") -> str:
    """`text` as an absolute SIP/SIPS/tel URI: `user` and `user@host` become `sip:user@host`
    (`host` defaulting to `domain`); ForwardingError naming `kind` when it cannot be one."""
    if not text or ":" not in text:
        return _bare_user(text, domain, kind)
    try:
        uri = parse_uri(text)
    except ParseError as exc:
        raise ForwardingError(f"{_label(kind)} target {text!r}: {exc.reason}") from None
    if isinstance(uri, TelUri) or (isinstance(uri, SipUri) and not uri.headers):
        return text
    what = "has URI headers" if isinstance(uri, SipUri) else "is not a SIP, SIPS or tel URI"
    raise ForwardingError(f"{_label(kind)} target {text!r} {what}")


def _bare_user(text: str, domain: str, kind: str) -> str:
    user, _, host = text.partition("@")
    try:
        user = check_user(user)
        host = check_domain(host or domain)
    except ValueError as exc:
        raise ForwardingError(f"{_label(kind)} target {text!r}: {exc}") from None
    return f"sip:{user}@{f'[{host}]' if ':' in host else host}"


def _label(kind: str) -> str:
    return kind.replace("_", "-")


class ForwardingEntry(NamedTuple):
    """One row of `SqliteForwardingStore.list`."""

    user: str
    domain: str
    forwarding: Forwarding


class SqliteForwardingStore:
    """The `forwarding` table on an open connection (the caller closes it)."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Clock = time.time) -> None:
        """Use `conn` after bringing the table up to date."""
        migrate(conn, COMPONENT, MIGRATIONS)
        self._conn = conn
        self._clock = clock

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    async def get(self, user: str, domain: str) -> Forwarding | None:
        """The forwarding of `user@domain` (domain case-insensitive), or None: the proxy reads
        it per call, like `SqliteUserStore.get_user` (a primary-key read on local WAL)."""
        return self.find(user, domain)

    def find(self, user: str, domain: str) -> Forwarding | None:
        """`get` for synchronous callers (the CLI, the admin API)."""
        row = self._conn.execute(_FIND, (user, _host(domain))).fetchone()
        return _entry(row).forwarding if row else None

    def set(self, user: str, domain: str, forwarding: Forwarding) -> Forwarding:
        """Store `forwarding` (bare users expanded in `domain`) for `user@domain` and return
        what was stored; a Forwarding with no target clears instead."""
        user, domain = _names(user, domain)
        stored = forwarding.expand(domain)
        _not_to_self(user, domain, stored)
        if stored.empty:
            self.clear(user, domain)
            return stored
        values = [getattr(stored, f.name) for f in fields(stored)]
        self._conn.execute(
            f"INSERT INTO forwarding (user, domain, {_COLUMNS}, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user, domain) DO UPDATE SET always = excluded.always,"
            " busy = excluded.busy, no_answer = excluded.no_answer,"
            " no_answer_after = excluded.no_answer_after,"
            " unregistered = excluded.unregistered, updated = excluded.updated",
            (user, domain, *values, int(self._clock())),
        )
        return stored

    def clear(self, user: str, domain: str) -> bool:
        """Remove the forwarding of `user@domain`; whether there was one."""
        cursor = self._conn.execute(
            "DELETE FROM forwarding WHERE user = ? AND domain = ?", (user, _host(domain))
        )
        return cursor.rowcount > 0

    def list(self, domain: str | None = None) -> list[ForwardingEntry]:
        """Every user with forwarding (or those of `domain`), sorted by domain then user."""
        if domain is None:
            rows = self._conn.execute(f"{_SELECT} ORDER BY domain, user")
        else:
            query = f"{_SELECT} WHERE domain = ? ORDER BY user"
            rows = self._conn.execute(query, (_host(domain),))
        return [_entry(row) for row in rows.fetchall()]


def _names(user: str, domain: str) -> tuple[str, str]:
    try:
        return check_user(user), check_domain(domain)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _not_to_self(user: str, domain: str, forwarding: Forwarding) -> None:
    """A target that is the user itself would only loop (until `max_forward_hops`)."""
    for kind in KINDS:
        target = getattr(forwarding, kind)
        uri = None if target is None else parse_uri(target)
        if isinstance(uri, SipUri) and uri.user == user and _host(uri.host) == domain:
            raise ForwardingError(f"{_label(kind)} target {target!r} is {user}@{domain} itself")


def _host(host: str) -> str:
    """`host` in the canonical form the table keeps (IPv6 without brackets), else as it is."""
    try:
        return check_domain(host.rstrip("."))
    except ValueError:
        return host


def _entry(row: tuple[object, ...]) -> ForwardingEntry:
    user, domain, always, busy, no_answer, after, unregistered = row
    forwarding = Forwarding(
        always=_text(always),
        busy=_text(busy),
        no_answer=_text(no_answer),
        no_answer_after=int(str(after)),
        unregistered=_text(unregistered),
    )
    return ForwardingEntry(str(user), str(domain), forwarding)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
