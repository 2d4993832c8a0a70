"""Values of the digest authentication headers (RFC 3261 §20.7, §20.27, §20.28, §20.44, §22.4).

How this works: a WWW-Authenticate / Proxy-Authenticate value is a `challenge` and an
Authorization / Proxy-Authorization value is a `credentials` (RFC 3261 §25.1). Both have the shape
`auth-scheme LWS auth-param *(COMMA auth-param)`, where `auth-param = token EQUAL (token /
quoted-string)`; `other-challenge` / `other-response` give that shape to schemes we do not know.
We split the scheme off at the first run of LWS, split the rest on commas outside quoted strings,
and read each parameter into a (lower-cased name, unquoted value) pair, keeping their order.

Only for the Digest scheme do we then check what RFC 7616 §3.3 / §3.4 (as applied to SIP by
RFC 8760) make mandatory: each directive at most once, the required directives present, and the
token-valued directives (algorithm, qop, nc) well formed. Unknown directives are kept as extension
auth-params. This is the message layer only: hashing and nonce checks belong to the auth package.
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.scan import is_token, quote, split_outside, unquote
from sipwarden.value import Value

AuthParams = tuple[tuple[str, str], ...]

_DIGEST = "digest"
_LWS = " \t"
# `auth-scheme LWS auth-param ...`: the scheme ends at the first run of SP / HTAB (§25.1).
_SCHEME_RE = re.compile(r"([^ \t]+)[ \t]+(.*)", re.DOTALL)
# nonce-count = "nc" EQUAL nc-value; nc-value = 8LHEX (§25.1). Upper-case hex is tolerated.
_NC_RE = re.compile(r"[0-9A-Fa-f]{8}")
_CHALLENGE_REQUIRED = ("realm", "nonce")  # RFC 7616 §3.3
_CREDENTIALS_REQUIRED = ("username", "realm", "nonce", "uri", "response")  # RFC 7616 §3.4
_UNSAFE_IN_HEADER = frozenset("\r\n\x00")
# The auth-params in the shape nearly every client sends (tokens and quoted-strings without
# quoted-pairs), read in one pass: a strict subset of what the general path accepts, with the
# same result, so a miss just runs that path.
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_FAST_PARAM = rf'[ \t]*{_TOKEN}[ \t]*=[ \t]*(?:"[^"\\]*"|{_TOKEN})[ \t]*'
_FAST_PARAMS_RE = re.compile(rf"{_FAST_PARAM}(?:,{_FAST_PARAM})*")
_FAST_PARAM_RE = re.compile(rf'[ \t]*({_TOKEN})[ \t]*=[ \t]*(?:("[^"\\]*")|({_TOKEN}))')
# Directives RFC 7616 §3.3/§3.4 says are always sent as quoted-strings (Digest scheme only), by
# class name.
_ALWAYS_QUOTED: dict[str, frozenset[str]] = {
    "Challenge": frozenset({"realm", "nonce", "opaque", "domain", "qop"}),
    "Credentials": frozenset({"username", "realm", "nonce", "uri", "response", "cnonce", "opaque"}),
}
_NONE: frozenset[str] = frozenset()


class _AuthValue(Value):
    """What challenges and credentials share: a scheme and its ordered auth-params.

    A `Value` (see sipwarden/value.py): one is parsed for every authenticated request. As with
    a dataclass, a Challenge is never equal to Credentials with the same fields.
    """

    __slots__ = ("params", "scheme")
    _names: ClassVar[tuple[str, ...]] = ("scheme", "params")
    scheme: Final[str]
    params: Final[AuthParams]

    def __init__(self, scheme: str, params: AuthParams) -> None:
        self.scheme = scheme
        self.params = params

    def _fields(self) -> tuple[object, ...]:
        return (self.scheme, self.params)

    def get(self, name: str) -> str | None:
        """The unquoted value of the first auth-param called `name` (case-insensitive), or None."""
        return _lookup(self.params, name.lower())

    @property
    def is_digest(self) -> bool:
        """True for the Digest scheme; auth-scheme is case-insensitive (RFC 3261 §25.1)."""
        return self.scheme.lower() == _DIGEST

    @property
    def algorithm(self) -> str:
        """The algorithm as written; "MD5" when a Digest value omits it (RFC 7616 §3.3).

        Compare case-insensitively. Values include MD5, SHA-256, SHA-512-256 and their `-sess`
        variants (RFC 7616 §6.1, RFC 8760 §2.1). A non-Digest value without one gives "".
        """
        value = self.get("algorithm")
        if value is not None:
            return value
        return "MD5" if self.is_digest else ""

    def _flag(self, name: str) -> bool:
        """A boolean directive such as stale or userhash: "true", case-insensitive (§3.3)."""
        value = self.get(name)
        return value is not None and value.lower() == "true"

    def __str__(self) -> str:
        """The value rendered per RFC 7616 §3.3 / §3.4 (see `_render_param`)."""
        quoted = _ALWAYS_QUOTED.get(type(self).__name__, _NONE) if self.is_digest else _NONE
        rendered = ", ".join(_render_param(name, value, quoted) for name, value in self.params)
        return f"{self.scheme} {rendered}" if rendered else self.scheme


class Challenge(_AuthValue):
    """One WWW-Authenticate or Proxy-Authenticate value (RFC 3261 §20.44, §20.27, §22.4).

    `params` holds (lower-cased name, unquoted value) pairs in the order written.
    """

    __slots__ = ()

    @property
    def realm(self) -> str | None:
        """The protection space shown to the user (RFC 7616 §3.3, RFC 3261 §22.1)."""
        return self.get("realm")

    @property
    def nonce(self) -> str | None:
        """The server nonce, echoed unchanged in the credentials (RFC 7616 §3.3)."""
        return self.get("nonce")

    @property
    def opaque(self) -> str | None:
        """Server data the client returns unchanged (RFC 7616 §3.3)."""
        return self.get("opaque")

    @property
    def domain(self) -> str | None:
        """The space-separated list of URIs of the protection space (RFC 7616 §3.3)."""
        return self.get("domain")

    @property
    def stale(self) -> bool:
        """True when the nonce was stale and a retry needs no new password (RFC 7616 §3.3)."""
        return self._flag("stale")

    @property
    def qop_options(self) -> tuple[str, ...]:
        """The offered qop values, lower-cased, from the quoted comma list (RFC 7616 §3.3)."""
        value = self.get("qop")
        return () if value is None else tuple(o.lower() for o in _split_qop(value))

    @property
    def charset(self) -> str | None:
        """The charset the server accepts for username and password, e.g. UTF-8 (§3.3)."""
        return self.get("charset")

    @property
    def userhash(self) -> bool:
        """True when the server supports hashed usernames (RFC 7616 §3.3, §3.4.4)."""
        return self._flag("userhash")


class Credentials(_AuthValue):
    """One Authorization or Proxy-Authorization value (RFC 3261 §20.7, §20.28, §22.4).

    `params` holds (lower-cased name, unquoted value) pairs in the order written.
    """

    __slots__ = ()

    @property
    def username(self) -> str | None:
        """The user name, or its hash when `userhash` is true (RFC 7616 §3.4, §3.4.4)."""
        return self.get("username")

    @property
    def realm(self) -> str | None:
        """The realm copied from the challenge (RFC 7616 §3.4)."""
        return self.get("realm")

    @property
    def nonce(self) -> str | None:
        """The nonce copied from the challenge (RFC 7616 §3.4)."""
        return self.get("nonce")

    @property
    def uri(self) -> str | None:
        """The digest-uri: the Request-URI the response was computed over (RFC 3261 §22.4)."""
        return self.get("uri")

    @property
    def response(self) -> str | None:
        """The request-digest in hex (RFC 7616 §3.4.1)."""
        return self.get("response")

    @property
    def cnonce(self) -> str | None:
        """The client nonce, sent when qop is (RFC 7616 §3.4)."""
        return self.get("cnonce")

    @property
    def opaque(self) -> str | None:
        """The opaque value copied from the challenge (RFC 7616 §3.4)."""
        return self.get("opaque")

    @property
    def qop(self) -> str | None:
        """The single qop value chosen by the client, lower-cased (RFC 7616 §3.4)."""
        value = self.get("qop")
        return None if value is None else value.lower()

    @property
    def nc(self) -> str | None:
        """The nonce-count as written: 8 hex digits (RFC 7616 §3.4, RFC 3261 §25.1)."""
        return self.get("nc")

    @property
    def userhash(self) -> bool:
        """True when `username` is a hash of the user name and realm (RFC 7616 §3.4.4)."""
        return self._flag("userhash")


def parse_challenge(value: str) -> Challenge:
    """Parse one WWW-Authenticate / Proxy-Authenticate value (RFC 3261 §25.1 `challenge`).

    Raises ParseError (400) on bad syntax, and for Digest on a repeated directive, a missing realm
    or nonce, or an algorithm / qop option that is not a token (RFC 7616 §3.3).
    """
    scheme, params = _parse_auth_value(value, "challenge")
    if scheme.lower() == _DIGEST:
        _check_digest_params(params, _CHALLENGE_REQUIRED, "challenge")
        _check_token(params, "algorithm", "challenge")
        _check_qop_options(params)
    return Challenge(scheme, params)


def parse_credentials(value: str) -> Credentials:
    """Parse one Authorization / Proxy-Authorization value (RFC 3261 §25.1 `credentials`).

    Raises ParseError (400) on bad syntax, and for Digest on a repeated directive, a missing
    username, realm, nonce, uri or response, a qop or algorithm that is not a single token, or an
    nc that is not 8 hex digits (RFC 7616 §3.4).
    """
    scheme, params = _parse_auth_value(value, "credentials")
    if scheme.lower() == _DIGEST:
        _check_digest_params(params, _CREDENTIALS_REQUIRED, "credentials")
        _check_token(params, "algorithm", "credentials")
        _check_token(params, "qop", "credentials")
        _check_nc(params)
    return Credentials(scheme, params)


def build_challenge(
    *,
    realm: str,
    nonce: str,
    algorithm: str = "MD5",
    qop: tuple[str, ...] = ("auth",),
    opaque: str | None = None,
    stale: bool = False,
    scheme: str = "Digest",
) -> Challenge:
    """Build the challenge a UAS or proxy sends in a 401 / 407 (RFC 3261 §22.1, RFC 7616 §3.3).

    Directives follow the order of RFC 3261 §20.44's example; stale is sent only when true and
    qop only when offered. Raises LocalError for arguments that cannot be rendered: a scheme,
    algorithm or qop option that is not a token, or CR, LF or NUL in realm, nonce or opaque.
    """
    _check_build_args(scheme, algorithm, qop, (realm, nonce, opaque or ""))
    params: list[tuple[str, str]] = [("realm", realm)]
    if qop:
        params.append(("qop", ",".join(qop)))
    params.append(("nonce", nonce))
    if opaque is not None:
        params.append(("opaque", opaque))
    if stale:
        params.append(("stale", "true"))
    params.append(("algorithm", algorithm))
    return Challenge(scheme, tuple(params))


def _parse_auth_value(value: str, what: str) -> tuple[str, AuthParams]:
    """Split `auth-scheme LWS auth-param *(COMMA auth-param)` (RFC 3261 §25.1)."""
    text = value.strip(_LWS)
    if not text:
        raise ParseError(f"empty {what}")
    match = _SCHEME_RE.fullmatch(text)
    if match is None:
        raise ParseError(f"{what} without auth-params")
    scheme, rest = match.group(1), match.group(2)
    if not is_token(scheme):
        raise ParseError(f"bad auth-scheme in {what}")
    if _FAST_PARAMS_RE.fullmatch(rest) is not None:
        return scheme, tuple(
            (name.lower(), quoted[1:-1] if quoted else token)
            for name, quoted, token in _FAST_PARAM_RE.findall(rest)
        )
    return scheme, tuple(_parse_auth_param(part, what) for part in split_outside(rest, ","))


def _parse_auth_param(part: str, what: str) -> tuple[str, str]:
    """Read `token LWS* "=" LWS* (token / quoted-string)` into (lower name, unquoted value)."""
    if not part.strip(_LWS):
        raise ParseError(f"empty auth-param in {what}")
    name, eq, raw = part.partition("=")
    name = name.strip(_LWS)
    if not eq:
        raise ParseError(f"auth-param without '=' in {what}")
    if not is_token(name):
        raise ParseError(f"bad auth-param name in {what}")
    return name.lower(), _param_value(raw.strip(_LWS), what)


def _param_value(raw: str, what: str) -> str:
    """Decode a token or quoted-string value; quoted-pairs are resolved (RFC 3261 §25.1)."""
    if raw.startswith('"'):
        return unquote(raw)
    if is_token(raw):
        return raw
    raise ParseError(f"bad auth-param value in {what}")


def _check_digest_params(params: AuthParams, required: tuple[str, ...], what: str) -> None:
    """Each directive at most once and the mandatory ones present (RFC 7616 §3.3, §3.4)."""
    names = [name for name, _ in params]
    if len(set(names)) != len(names):
        raise ParseError(f"repeated directive in Digest {what}")
    for name in required:
        if name not in names:
            raise ParseError(f"Digest {what} without {name}")


def _check_token(params: AuthParams, name: str, what: str) -> None:
    """`algorithm` and a response's `qop` are single tokens, even when sloppily quoted (§3.4)."""
    value = _lookup(params, name)
    if value is not None and not is_token(value):
        raise ParseError(f"bad {name} in Digest {what}")


def _check_qop_options(params: AuthParams) -> None:
    """qop-options is a quoted comma list of tokens (RFC 7616 §3.3, RFC 3261 §25.1)."""
    value = _lookup(params, "qop")
    if value is not None and not all(is_token(option) for option in _split_qop(value)):
        raise ParseError("bad qop in Digest challenge")


def _check_nc(params: AuthParams) -> None:
    """nc-value = 8LHEX (RFC 3261 §25.1, RFC 7616 §3.4); upper-case hex is tolerated."""
    value = _lookup(params, "nc")
    if value is not None and _NC_RE.fullmatch(value) is None:
        raise ParseError("bad nc in Digest credentials")


def _split_qop(value: str) -> tuple[str, ...]:
    """The non-empty elements of a `1#qop-value` list, stripped (RFC 7616 §3.3)."""
    return tuple(item for item in (part.strip(_LWS) for part in value.split(",")) if item)


def _lookup(params: AuthParams, lname: str) -> str | None:
    """The value of the first param named `lname` (already lower-case), or None."""
    for name, value in params:
        if name == lname:
            return value
    return None


def _render_param(name: str, value: str, always_quoted: frozenset[str]) -> str:
    """`name=value`, quoted when RFC 7616 §3.3 / §3.4 says so or the value is not a token."""
    if name in always_quoted or not is_token(value):
        return f"{name}={quote(value)}"
    return f"{name}={value}"


def _check_build_args(
    scheme: str, algorithm: str, qop: tuple[str, ...], texts: tuple[str, ...]
) -> None:
    """Refuse build_challenge arguments that would render an invalid or unsafe header."""
    if not (is_token(scheme) and is_token(algorithm) and all(is_token(o) for o in qop)):
        raise LocalError("build_challenge: scheme, algorithm and qop options must be tokens")
    if any(_UNSAFE_IN_HEADER.intersection(text) for text in texts):
        raise LocalError("build_challenge: CR, LF or NUL in realm, nonce or opaque")
