"""Digest authentication of SIP requests, sans-IO (RFC 3261 §22, RFC 7616, RFC 8760).

How the adapter uses it, for a request that needs authenticating (`proxy` is False for
REGISTER and requests for our own domain, answered 401 / WWW-Authenticate; True for requests we
proxy, answered 407 / Proxy-Authenticate, RFC 3261 §22.3):

1. `creds = auth.credentials(request, realm, proxy=proxy)`. None: send
   `auth.challenge(request, realm, proxy=proxy, now=now)`. A malformed Authorization header
   raises ParseError from the message layer: answer it with its status (400), as for any other
   malformed header; the parse does not depend on the user, so this leaks nothing.
2. `record = await store.get_user(creds.username, realm)`, then
   `verdict = auth.verify(request, realm, creds, record, now=now)`.
3. `Failed`: send a fresh challenge with `stale=verdict.stale`. `Authenticated`:
   `await nonce_counts.advance(v.nonce, v.nc, v.nonce_expires, now)`; False is a replay: send a
   fresh challenge with stale=True. Then `auth.identity_ok(request, v)`, or 403.

No user enumeration: `challenge` never looks at the user, and `verify` does the same hashing
for an unknown user, an account without HA1 for the algorithm, and a wrong password. The
missing HA1 is replaced by a dummy derived from HMAC(secret, algorithm, user, realm), so the
comparison runs against a value nobody can match, in the same time. Every check that comes
before the hashing (realm, algorithm, uri, qop, nonce MAC) depends only on the request, never
on whether the user exists.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Callable

from sipwarden.auth.compute import DigestInput, Hash, request_digest, session_ha1
from sipwarden.auth.config import SESS_SUFFIX, AuthConfig, canonical_algorithm
from sipwarden.auth.hashes import hash_function
from sipwarden.auth.nonce import HmacSha256, Nonces
from sipwarden.auth.outcome import Authenticated, Challenged, Failed, FailReason
from sipwarden.auth.store import UserRecord
from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.digest import Credentials, build_challenge
from sipwarden.sip.message import Request
from sipwarden.sip.uri import SipUri, parse_uri

# The result types live in outcome.py; re-exported so callers can import them from here.
__all__ = ["Authenticated", "Challenged", "DigestAuth", "FailReason", "Failed"]

_NC_RE = re.compile(r"[0-9A-Fa-f]{8}")
_DUMMY_LABEL = b"sipwarden digest dummy HA1\x00"
_NONCE_MARK = "A" * 48  # nonce-shaped: stands for the nonce in a challenge template
_MAX_TEMPLATES = 256  # realms x algorithms x stale; cleared when full (realms come from requests)
# RFC 3261 §22.1 / §22.3: 401 carries WWW-Authenticate, 407 Proxy-Authenticate.
_UAS = (401, "Unauthorized", "WWW-Authenticate", "Authorization")
_PROXY = (407, "Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization")


class DigestAuth:
    """Challenges requests and verifies their digest credentials; see the module docstring.

    `secret` keys the nonce MAC and the dummy HA1; share it between the workers of one
    deployment (and keep it across restarts, or outstanding nonces turn invalid). `hasher` is
    `hashes.hash_function`; tests pass a wrapper to count the hashing work.
    """

    __slots__ = ("_config", "_dummy_mac", "_hasher", "_nonces", "_templates")

    def __init__(
        self,
        config: AuthConfig,
        secret: bytes,
        random_bytes: Callable[[int], bytes] = os.urandom,
        *,
        hasher: Callable[[str], Hash] = hash_function,
    ) -> None:
        self._config = config
        self._dummy_mac = HmacSha256(secret)
        self._nonces = Nonces(secret, config.nonce_ttl, random_bytes)
        self._hasher = hasher
        # (realm, algorithm, stale) -> the challenge text before and after the nonce.
        self._templates: dict[tuple[str, str, bool], tuple[str, str]] = {}

    @property
    def config(self) -> AuthConfig:
        return self._config

    def challenge(
        self, request: Request, realm: str, *, proxy: bool, now: float, stale: bool = False
    ) -> Challenged:
        """A 401 or 407 with one challenge per configured algorithm, each with its own fresh
        nonce (RFC 3261 §22.1, RFC 8760 §2.4). `request` is not consulted: the challenge must
        not depend on who the request claims to be (no user enumeration)."""
        del request
        status, reason, header, _ = _PROXY if proxy else _UAS
        headers = tuple(
            (header, self._one_challenge(realm, algorithm, now, stale))
            for algorithm in self._config.algorithms
        )
        return Challenged(status, reason, headers)

    def credentials(self, request: Request, realm: str, *, proxy: bool) -> Credentials | None:
        """The Digest Authorization (Proxy-Authorization when `proxy`) value for `realm`.

        Values for other realms belong to other servers and are ignored (RFC 3261 §22.4,
        §22.3). Among ours, the first with an algorithm we offer wins, else the first. None
        when there is none. ParseError (400) when a header is malformed (see module docstring).
        """
        values = request.proxy_authorization if proxy else request.authorization
        ours = [c for c in values if c.is_digest and _same_realm(c.realm, realm)]
        offered = self._config.algorithms
        for creds in ours:
            if canonical_algorithm(creds.algorithm) in offered:
                return creds
        return ours[0] if ours else None

    def verify(
        self,
        request: Request,
        realm: str,
        creds: Credentials,
        record: UserRecord | None,
        *,
        now: float,
    ) -> Authenticated | Failed:
        """Check `creds` against `request` and the user's `record` (None: no such user).

        In order (RFC 7616 §3.4, RFC 3261 §22.4): realm, algorithm offered, no userhash, the
        digest-uri names the Request-URI (RFC 7616 §3.4.6), qop / cnonce / nc, the nonce is ours
        for this realm; then the request-digest, compared in constant time. A nonce past its
        lifetime gives Failed(stale=True) only when the digest is right (RFC 7616 §3.3).
        """
        early = self._precheck(request, realm, creds)
        if isinstance(early, Failed):
            return early
        username, algorithm, digest_input, response = early
        check = self._nonces.check(digest_input.nonce, realm, now)
        if check.status == "invalid":
            return Failed(stale=False, reason="nonce_invalid")
        known = _is_account(record, username, realm)
        stored = record.ha1.get(_base(algorithm)) if known and record is not None else None
        if not self._response_matches(username, realm, algorithm, stored, response, digest_input):
            return Failed(stale=False, reason=_miss_reason(known, stored))
        if check.status == "stale":
            return Failed(stale=True, reason="stale_nonce")
        nc = 1 if digest_input.nc is None else int(digest_input.nc, 16)
        return Authenticated(username, realm, algorithm, digest_input.nonce, nc, check.expires)

    def identity_ok(self, request: Request, auth: Authenticated) -> bool:
        """True when the request speaks for the authenticated user (project issue #4).

        The From URI (the To URI for REGISTER, whose AOR it names, RFC 3261 §10.3 step 5) must
        be a SIP or SIPS URI whose user is the authenticated user (case-sensitive, §19.1.4) and
        whose host is the realm (case-insensitive), unless the account is in `identity_exempt`.
        A From / To that does not parse is not the user's identity: False.
        """
        if self._config.is_exempt(auth.user, auth.realm):
            return True
        try:
            address = request.to if request.method == "REGISTER" else request.from_
            uri = address.uri
        except ParseError:
            return False
        if not isinstance(uri, SipUri):
            return False
        return uri.user == auth.user and uri.host.lower() == auth.realm.lower()

    def _one_challenge(self, realm: str, algorithm: str, now: float, stale: bool) -> str:
        """`str(build_challenge(...))` with a fresh nonce, from a template per realm."""
        nonce = self._nonces.issue(realm, now)
        key = (realm, algorithm, stale)
        template = self._templates.get(key)
        if template is None:
            template = _challenge_template(realm, algorithm, self._config.qop, stale)
            if len(self._templates) >= _MAX_TEMPLATES:
                self._templates.clear()
            self._templates[key] = template
        before, after = template
        return before + nonce + after

    def _precheck(
        self, request: Request, realm: str, creds: Credentials
    ) -> Failed | tuple[str, str, DigestInput, str]:
        """The checks that need no user record: (username, algorithm, input, response) or
        Failed. The directives are read from one dict (the first of each name, as
        `Credentials.get` reads them) instead of a scan of the params per directive."""
        if not creds.is_digest:
            return Failed(False, "malformed")
        directives = dict(reversed(creds.params))  # names are lower-case; the first one wins
        username, nonce = directives.get("username"), directives.get("nonce")
        uri, response = directives.get("uri"), directives.get("response")
        if username is None or nonce is None or uri is None or response is None:
            return Failed(False, "malformed")
        if not _same_realm(directives.get("realm"), realm):
            return Failed(False, "realm_mismatch")
        algorithm = canonical_algorithm(directives.get("algorithm", "MD5"))  # §3.3: MD5 if absent
        if algorithm is None or algorithm not in self._config.algorithms:
            return Failed(False, "algorithm_not_offered")
        userhash = directives.get("userhash")
        if userhash is not None and userhash.lower() == "true":
            return Failed(False, "userhash_unsupported")
        if not _uri_matches(uri, request):
            return Failed(False, "uri_mismatch")
        # The qop token goes into the hash as the client wrote it; offers compare lower-cased.
        qop, nc, cnonce = directives.get("qop"), directives.get("nc"), directives.get("cnonce")
        problem = self._qop_problem(qop, nc, cnonce, algorithm)
        if problem is not None:
            return Failed(False, problem)
        digest_input = DigestInput(request.method, uri, nonce, nc, cnonce, qop, request.body)
        return username, algorithm, digest_input, response

    def _qop_problem(
        self, qop: str | None, nc: str | None, cnonce: str | None, algorithm: str
    ) -> FailReason | None:
        """RFC 7616 §3.4: qop as offered; with qop, cnonce and a non-zero nc; "-sess" needs a
        cnonce. Without qop offered, RFC 2069 credentials (no qop, no nc) are accepted."""
        offered = self._config.qop
        if qop is None:
            if offered:
                return "qop_missing"
        elif qop.lower() not in offered:
            return "qop_not_offered"
        elif nc is None or _NC_RE.fullmatch(nc) is None:
            return "missing_nc"
        elif int(nc, 16) == 0:
            return "bad_nc"
        needs_cnonce = qop is not None or algorithm.endswith(SESS_SUFFIX)
        if needs_cnonce and cnonce is None:
            return "missing_cnonce"
        return None

    def _response_matches(
        self,
        username: str,
        realm: str,
        algorithm: str,
        stored: str | None,
        response: str,
        digest_input: DigestInput,
    ) -> bool:
        """The request-digest comparison, doing the same work whether `stored` exists or not."""
        h = self._hasher(algorithm)
        dummy = self._dummy_ha1(h, algorithm, username, realm)
        ha1 = dummy if stored is None else stored.lower()
        if algorithm.endswith(SESS_SUFFIX):
            ha1 = session_ha1(h, ha1, digest_input.nonce, digest_input.cnonce or "")
        expected = request_digest(h, ha1, digest_input).encode("ascii")
        given = response.lower().encode("utf-8", "surrogateescape")
        return hmac.compare_digest(expected, given) and stored is not None

    def _dummy_ha1(self, h: Hash, algorithm: str, username: str, realm: str) -> str:
        """An HA1-shaped value no client can know: H(HMAC-SHA256(secret, alg, user, realm))."""
        label = "\x00".join((algorithm, username, realm.lower()))
        message = _DUMMY_LABEL + label.encode("utf-8", "surrogateescape")
        return h(self._dummy_mac.digest(message))


def _challenge_template(
    realm: str, algorithm: str, qop: tuple[str, ...], stale: bool
) -> tuple[str, str]:
    """The rendered challenge split around its nonce's value.

    A nonce (base64url, nonce.py) is a token without quotes or backslashes, always written as
    `nonce="<nonce>"` (RFC 7616 §3.3) at a place that does not depend on its value, and only
    tokens (stale, algorithm) follow it: so `before + nonce + after` is exactly the text
    `build_challenge` renders for that nonce. LocalError, as there, for an unrenderable realm.
    """
    text = str(
        build_challenge(realm=realm, nonce=_NONCE_MARK, algorithm=algorithm, qop=qop, stale=stale)
    )
    before, mark, after = text.rpartition(f'nonce="{_NONCE_MARK}"')
    if not mark:  # pragma: no cover - build_challenge always writes the nonce quoted
        raise LocalError("challenge rendered without its nonce")
    return f'{before}nonce="', f'"{after}'


def _same_realm(given: str | None, realm: str) -> bool:
    """Realms here are SIP domains, so they compare case-insensitively (RFC 3261 §19.1.4)."""
    return given is not None and given.lower() == realm.lower()


def _uri_matches(digest_uri: str, request: Request) -> bool:
    """RFC 7616 §3.4.6 / RFC 3261 §22.4: the digest-uri must name the Request-URI; the same
    text, or URIs equal under RFC 3261 §19.1.4. Unparseable means no match."""
    if digest_uri == request.uri_text:
        return True
    try:
        return parse_uri(digest_uri) == request.uri
    except ParseError:
        return False


def _is_account(record: UserRecord | None, username: str, realm: str) -> bool:
    """True when `record` is the account the credentials name (a record for another user or
    domain counts as no account)."""
    return record is not None and record.user == username and _same_realm(record.domain, realm)


def _base(algorithm: str) -> str:
    """The stored HA1's algorithm: a "-sess" variant starts from the plain HA1 (§3.4.2)."""
    return algorithm.removesuffix(SESS_SUFFIX)


def _miss_reason(known: bool, stored: str | None) -> FailReason:
    if not known:
        return "unknown_user"
    return "no_ha1" if stored is None else "bad_password"
