"""Digest credentials checked against the stores: the one path REGISTER (401, RFC 3261 §22.2)
and proxied requests (407, §22.3) share.

The pure `DigestAuth` verifies; around it this module reads the account, asks the security
shield whether the account is locked, records the nonce-count (replay protection, RFC 7616
§3.4) and tells the shield about failures and successes. A locked account is verified like
any other and then refused like a wrong password: the same answer in the same time, so a lock
tells a guesser nothing (docs/security.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sipwarden.auth.digest_auth import Authenticated, DigestAuth
from sipwarden.auth.nonce_counts import NonceCountStore
from sipwarden.auth.outcome import Failed
from sipwarden.auth.store import CredentialStore
from sipwarden.server.guard import Guard
from sipwarden.sip import Request, Response, build_response
from sipwarden.transport.address import Address

log = logging.getLogger("sipwarden.auth")


class CredentialCheck:
    """Checks the Authorization (or Proxy-Authorization) of a request for one realm.

    A plain slotted class rather than a dataclass: the proxy makes one per authenticated
    request (see sipwarden/value.py). Compared by identity.
    """

    __slots__ = ("auth", "guard", "nonce_counts", "users", "wallclock")

    def __init__(
        self,
        auth: DigestAuth,
        users: CredentialStore,
        nonce_counts: NonceCountStore,
        wallclock: Callable[[], float],
        guard: Guard | None = None,
    ) -> None:
        self.auth = auth
        self.users = users
        self.nonce_counts = nonce_counts
        self.wallclock = wallclock
        self.guard = guard

    async def check(
        self, request: Request, realm: str, *, proxy: bool, source: Address
    ) -> Authenticated | Failed | None:
        """None without credentials for `realm`; Failed when they do not hold (stale=True for
        an expired nonce or a replayed nonce-count: the client may retry at once);
        Authenticated otherwise. ParseError for a malformed header (the caller answers 400)."""
        verdict, now = await self.verdict(request, realm, proxy=proxy, source=source)
        if not isinstance(verdict, Authenticated):
            return verdict
        advanced = await self.nonce_counts.advance(
            verdict.nonce, verdict.nc, verdict.nonce_expires, now
        )
        return self.recorded(verdict, advanced, source)

    async def verdict(
        self, request: Request, realm: str, *, proxy: bool, source: Address
    ) -> tuple[Authenticated | Failed | None, float]:
        """`check` up to the nonce-count, and the time it was checked at: Authenticated still
        needs `nonce_counts.advance(..., now)` and `recorded`."""
        credentials = self.auth.credentials(request, realm, proxy=proxy)
        if credentials is None:
            return None, 0.0
        now = self.wallclock()
        user = credentials.username or ""
        account = f"{user}@{realm}"
        locked = self.guard is not None and self.guard.locked(account)
        record = await self.users.get_user(user, realm)
        verdict = self.auth.verify(request, realm, credentials, record, now=now)
        if locked:
            verdict = Failed(False, "account_locked")
        if isinstance(verdict, Failed):
            log.info(
                "auth failed user=%r realm=%s source=%s reason=%s",
                user,
                realm,
                source,
                verdict.reason,
            )
            if self.guard is not None and not verdict.stale:
                self.guard.auth_failed(source.host, account, verdict.reason)
        return verdict, now

    def recorded(
        self, verdict: Authenticated, advanced: bool, source: Address
    ) -> Authenticated | Failed:
        """The outcome once the nonce-count was recorded (`advanced`: it was new)."""
        if not advanced:
            log.info(
                "auth replay user=%r realm=%s source=%s nc=%d",
                verdict.user,
                verdict.realm,
                source,
                verdict.nc,
            )
            return Failed(True, "nonce_replay")
        if self.guard is not None:
            self.guard.auth_succeeded(source.host, f"{verdict.user}@{verdict.realm}")
        return verdict

    def challenge(self, request: Request, realm: str, *, proxy: bool, stale: bool) -> Response:
        """401 (WWW-Authenticate) or 407 (Proxy-Authenticate), one challenge per algorithm."""
        challenged = self.auth.challenge(
            request, realm, proxy=proxy, now=self.wallclock(), stale=stale
        )
        return build_response(
            request, challenged.status, challenged.reason, headers=challenged.headers
        )
