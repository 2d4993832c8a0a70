"""REGISTER handling, RFC 3261 §10.3 steps 1 to 8, over the async stores.

The decisions are pure (`DigestAuth`, `Registrar`); this module only sequences them around the
awaits on the stores: read the account, record the nonce-count, update the bindings atomically.

1. The Request-URI must name a domain served here (step 1); otherwise 403, since this element
   does not yet forward REGISTERs elsewhere.
2. Require: every option-tag must be supported, else 420 with Unsupported (step 2, §8.2.2.3).
3. Digest authentication (step 3, §22): 401 with one challenge per algorithm; an unknown user
   and a wrong password get the same answer (the auth package makes that so).
4. The authenticated user may change only its own address-of-record (step 4): else 403.
5. The To must be an AoR of a served domain (step 5): else 404.
6-8. The registrar applies the Contacts to the current bindings in one atomic store update.

With the embedded stores (nonce-counts and bindings in one SQLite database) the nonce-count of
an accepted REGISTER is written in the transaction that updates its bindings: one commit per
REGISTER instead of two (`_in_one_transaction`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sipwarden.auth.digest_auth import Authenticated, DigestAuth
from sipwarden.auth.nonce_counts import NonceCountStore, SqliteNonceCounts
from sipwarden.auth.outcome import Failed
from sipwarden.auth.store import CredentialStore
from sipwarden.errors import ParseError
from sipwarden.location.binding import Binding
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.location.store import LocationStore
from sipwarden.registrar.aor import aor_of
from sipwarden.registrar.registrar import Registrar
from sipwarden.registrar.result import RegisterResult
from sipwarden.server.authn import CredentialCheck
from sipwarden.server.guard import Guard
from sipwarden.server.locality import Locality
from sipwarden.sip import Request, Response, SipUri, build_response
from sipwarden.sip.hosts import normalize_host
from sipwarden.transport.address import Received

log = logging.getLogger(__name__)
SUPPORTED = ("path",)


@dataclass(slots=True)
class Registration:
    """Everything REGISTER needs: the pure deciders, the stores and the wall clock."""

    locality: Locality
    auth: DigestAuth
    users: CredentialStore
    nonce_counts: NonceCountStore
    location: LocationStore
    registrar: Registrar
    wallclock: Callable[[], float]
    guard: Guard | None = None
    # Worked out once from the fields above (they never change): the credential check every
    # REGISTER goes through, and the two stores when they share one SQLite database.
    _check: CredentialCheck = field(init=False, repr=False, compare=False)
    _one_db: tuple[SqliteNonceCounts, SqliteLocationStore] | None = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._check = CredentialCheck(
            self.auth, self.users, self.nonce_counts, self.wallclock, self.guard
        )
        self._one_db = _one_database(self.nonce_counts, self.location)

    async def answer(self, request: Request, received: Received) -> Response:
        """The final response to one REGISTER (never raises on the peer's input)."""
        try:
            early = self._precheck(request)
            if early is not None:
                return early
            return await self._authenticated(request, received)
        except ParseError as error:
            return build_response(request, error.status, error.reason)

    def _precheck(self, request: Request) -> Response | None:
        if not self.locality.is_local(request.uri):
            return build_response(request, 403, "Domain Not Served Here")
        # Most REGISTERs carry no Require: skip parsing the (absent) token list.
        required = request.require if request.has("require") else []
        unsupported = [tag for tag in required if tag.lower() not in SUPPORTED]
        if unsupported:
            headers = [("Unsupported", ", ".join(unsupported))]
            return build_response(request, 420, "Bad Extension", headers=headers)
        to_uri = request.to.uri
        if not isinstance(to_uri, SipUri) or not self.locality.is_domain(to_uri.host):
            return build_response(request, 404, "Not Found")
        return None

    async def _authenticated(self, request: Request, received: Received) -> Response:
        realm = normalize_host(request.to.uri.host)  # type: ignore[union-attr]  # checked above
        now = self.wallclock()
        one_db = self._one_db
        if one_db is not None:
            return await self._in_one_transaction(request, realm, now, received, one_db)
        outcome = await self._authenticate(request, realm, now, received)
        if isinstance(outcome, Response):
            return outcome
        if not self.auth.identity_ok(request, outcome):
            return self._forbidden(request, outcome, realm, received)
        return await self._register(request, received, now)

    async def _in_one_transaction(
        self,
        request: Request,
        realm: str,
        now: float,
        received: Received,
        one_db: tuple[SqliteNonceCounts, SqliteLocationStore],
    ) -> Response:
        """As the general path, but the nonce-count and the bindings of an accepted REGISTER
        are written in one SQLite transaction (one commit, one WAL write instead of two).

        The same checks in the same order; only the writes move: the nonce-count is recorded
        with the bindings (or alone, before a 403), and the shield hears of the success after
        both are committed.
        """
        check = self._credentials()
        verdict, checked_at = await check.verdict(
            request, realm, proxy=False, source=received.source
        )
        if not isinstance(verdict, Authenticated):
            stale = verdict is not None and verdict.stale
            return check.challenge(request, realm, proxy=False, stale=stale)
        nonce_counts, location = one_db
        if not self.auth.identity_ok(request, verdict):
            advanced = nonce_counts.advance_now(
                verdict.nonce, verdict.nc, verdict.nonce_expires, checked_at
            )
            outcome = check.recorded(verdict, advanced, received.source)
            if isinstance(outcome, Failed):
                return check.challenge(request, realm, proxy=False, stale=True)
            return self._forbidden(request, outcome, realm, received)
        aor = aor_of(request.to.uri)
        source = str(received.source)

        def advance() -> bool:
            return nonce_counts.advance_now(
                verdict.nonce, verdict.nc, verdict.nonce_expires, checked_at
            )

        def change(current: list[Binding]) -> tuple[RegisterResult, list[Binding]]:
            return self.registrar.apply(request, aor, current, source=source, now=now)

        advanced, result = location.update_after(advance, aor, change, now)
        if isinstance(check.recorded(verdict, advanced, received.source), Failed):
            return check.challenge(request, realm, proxy=False, stale=True)
        assert result is not None  # advanced
        return build_response(request, result.status, result.reason, headers=result.headers)

    def _forbidden(
        self, request: Request, outcome: Authenticated, realm: str, received: Received
    ) -> Response:
        """Step 4: the authenticated user may not register this AoR."""
        log.info(
            "register forbidden user=%s@%s source=%s to=%s",
            outcome.user,
            realm,
            received.source,
            request.to.uri,
        )
        return build_response(request, 403, "Forbidden")

    async def _authenticate(
        self, request: Request, realm: str, now: float, received: Received
    ) -> Authenticated | Response:
        outcome = await self._credentials().check(
            request, realm, proxy=False, source=received.source
        )
        if isinstance(outcome, Authenticated):
            return outcome
        stale = outcome is not None and outcome.stale
        return self._credentials().challenge(request, realm, proxy=False, stale=stale)

    def _credentials(self) -> CredentialCheck:
        return self._check

    async def _register(self, request: Request, received: Received, now: float) -> Response:
        aor = aor_of(request.to.uri)
        source = str(received.source)

        def change(current: list[Binding]) -> tuple[RegisterResult, list[Binding]]:
            return self.registrar.apply(request, aor, current, source=source, now=now)

        result = await self.location.update(aor, change, now)
        return build_response(request, result.status, result.reason, headers=result.headers)


def _one_database(
    nonce_counts: NonceCountStore, location: LocationStore
) -> tuple[SqliteNonceCounts, SqliteLocationStore] | None:
    """The two stores when they are SQLite on one connection (the embedded database)."""
    if (
        isinstance(nonce_counts, SqliteNonceCounts)
        and isinstance(location, SqliteLocationStore)
        and nonce_counts.connection is location.connection
    ):
        return nonce_counts, location
    return None
