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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sipwarden.auth.digest_auth import Authenticated, DigestAuth
from sipwarden.auth.nonce_counts import NonceCountStore
from sipwarden.auth.store import CredentialStore
from sipwarden.errors import ParseError
from sipwarden.location.binding import Binding
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
        unsupported = [tag for tag in request.require if tag.lower() not in SUPPORTED]
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
        outcome = await self._authenticate(request, realm, now, received)
        if isinstance(outcome, Response):
            return outcome
        if not self.auth.identity_ok(request, outcome):
            log.info(
                "register forbidden user=%s@%s source=%s to=%s",
                outcome.user,
                realm,
                received.source,
                request.to.uri,
            )
            return build_response(request, 403, "Forbidden")
        return await self._register(request, received, now)

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
        return CredentialCheck(self.auth, self.users, self.nonce_counts, self.wallclock, self.guard)

    async def _register(self, request: Request, received: Received, now: float) -> Response:
        aor = aor_of(request.to.uri)
        source = str(received.source)

        def change(current: list[Binding]) -> tuple[RegisterResult, list[Binding]]:
            return self.registrar.apply(request, aor, current, source=source, now=now)

        result = await self.location.update(aor, change, now)
        return build_response(request, result.status, result.reason, headers=result.headers)
