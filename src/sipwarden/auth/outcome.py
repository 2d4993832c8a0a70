"""What the digest authenticator hands back to the adapter: a challenge to send, or a verdict.

The enumeration rule (project issue #4): whatever reaches the wire (status, reason, header
names, realm, stale) is the same for an unknown user and for a known user with a wrong
password. `Failed.reason` may tell them apart, but it is for logs and ban counters only and must
never be put in a response.

The three are values (equal and hashed by their fields, never changed once made) written as
`Value` subclasses rather than frozen dataclasses: one or two are made per authenticated
request (see sipwarden/value.py).
"""

from __future__ import annotations

from typing import ClassVar, Final, Literal

from sipwarden.value import Value

FailReason = Literal[
    "realm_mismatch",  # credentials for another realm (RFC 3261 §22.4)
    "malformed",  # a Digest directive RFC 7616 §3.4 requires is missing
    "algorithm_not_offered",  # RFC 7616 §3.4: algorithm must be one the server offered
    "userhash_unsupported",  # RFC 7616 §3.4.4: we never offer userhash
    "uri_mismatch",  # RFC 7616 §3.4.6: digest-uri is not the Request-URI
    "qop_missing",  # qop offered but not used (RFC 7616 §3.4: MUST be sent)
    "qop_not_offered",  # a qop value the server did not offer
    "missing_cnonce",  # qop or "-sess" without cnonce (RFC 7616 §3.4)
    "missing_nc",  # qop without nc (RFC 7616 §3.4)
    "bad_nc",  # nc of zero: counting starts at 00000001 (RFC 7616 §3.4)
    "nonce_invalid",  # not a nonce we issued for this realm (forged, truncated, other realm)
    "stale_nonce",  # right password, nonce past its lifetime: retry with stale=true
    "nonce_replay",  # the nonce-count store refused nc (set by the adapter, see nonce_counts)
    "unknown_user",  # no such account: internal only, the wire answer is "bad_password"'s
    "no_ha1",  # the account has no HA1 for this algorithm: internal only, as above
    "bad_password",  # the response does not match
    "account_locked",  # the security shield locked the account: refused like bad_password
]


class Challenged(Value):
    """A 401 / 407 to send (RFC 3261 §22.1, §22.3): `build_response(request, status, reason,
    headers=headers)`. One WWW-Authenticate / Proxy-Authenticate per offered algorithm, in the
    configured order (RFC 8760 §2.4)."""

    __slots__ = ("headers", "reason", "status")
    _names: ClassVar[tuple[str, ...]] = ("status", "reason", "headers")
    status: Final[int]
    reason: Final[str]
    headers: Final[tuple[tuple[str, str], ...]]

    def __init__(self, status: int, reason: str, headers: tuple[tuple[str, str], ...]) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers

    def _fields(self) -> tuple[object, ...]:
        return (self.status, self.reason, self.headers)


class Authenticated(Value):
    """The credentials are good. Before trusting them the adapter must record the nonce-count:
    `await store.advance(nonce, nc, nonce_expires, now)`; False means a replay (answer with a
    fresh challenge, stale=True)."""

    __slots__ = ("algorithm", "nc", "nonce", "nonce_expires", "realm", "user")
    _names: ClassVar[tuple[str, ...]] = (
        "user",
        "realm",
        "algorithm",
        "nonce",
        "nc",
        "nonce_expires",
    )
    user: Final[str]
    realm: Final[str]
    algorithm: Final[str]
    nonce: Final[str]
    nc: Final[int]
    nonce_expires: Final[float]

    def __init__(
        self, user: str, realm: str, algorithm: str, nonce: str, nc: int, nonce_expires: float
    ) -> None:
        self.user = user
        self.realm = realm
        self.algorithm = algorithm
        self.nonce = nonce
        self.nc = nc
        self.nonce_expires = nonce_expires

    def _fields(self) -> tuple[object, ...]:
        return (self.user, self.realm, self.algorithm, self.nonce, self.nc, self.nonce_expires)


class Failed(Value):
    """The credentials are not good. Answer with `challenge(..., stale=failed.stale)`.

    `stale` is True only when the response was right but the nonce had expired (RFC 7616 §3.3:
    the client may retry without asking the user again). `reason` is internal (see module
    docstring): never put it on the wire.
    """

    __slots__ = ("reason", "stale")
    _names: ClassVar[tuple[str, ...]] = ("stale", "reason")
    stale: Final[bool]
    reason: Final[FailReason]

    def __init__(self, stale: bool, reason: FailReason) -> None:
        self.stale = stale
        self.reason = reason

    def _fields(self) -> tuple[object, ...]:
        return (self.stale, self.reason)


Verdict = Authenticated | Failed
