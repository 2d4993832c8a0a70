"""The request-digest formulas of RFC 7616 §3.4.1 to §3.4.3 (RFC 3261 §22.4, RFC 8760 §2).

Pure functions of strings: they know nothing about messages, users or nonces, so the
authenticator and a test client (or a future UAC side) compute the very same thing:

    response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   qop is auth or auth-int
    response = H(HA1 ":" nonce ":" HA2)                             no qop (RFC 2069)
    HA1      = stored H(username ":" realm ":" password), and for a "-sess" algorithm
               H(stored HA1 ":" nonce ":" cnonce)                   (RFC 7616 §3.4.2)
    HA2      = H(method ":" digest-uri), and for auth-int
               H(method ":" digest-uri ":" H(entity-body))          (RFC 7616 §3.4.3)

H is the algorithm's hash in lower-case hex. In SIP the entity-body is the message body as
sent (RFC 3261 §22.4); an empty body hashes as the empty string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Final

from sipwarden.value import Value

Hash = Callable[[bytes], str]


class DigestInput(Value):
    """What a request-digest is computed over, apart from HA1 and the hash.

    `nc` is the 8-hex-digit nonce-count as sent, `qop` None for an RFC 2069 response. A value
    (equal by its fields, never changed once made); a `Value` rather than a frozen dataclass
    because one is made per authenticated request (see sipwarden/value.py).
    """

    __slots__ = ("body", "cnonce", "method", "nc", "nonce", "qop", "uri")
    _names: ClassVar[tuple[str, ...]] = ("method", "uri", "nonce", "nc", "cnonce", "qop", "body")
    method: Final[str]
    uri: Final[str]
    nonce: Final[str]
    nc: Final[str | None]
    cnonce: Final[str | None]
    qop: Final[str | None]
    body: Final[bytes]

    def __init__(
        self,
        method: str,
        uri: str,
        nonce: str,
        nc: str | None = None,
        cnonce: str | None = None,
        qop: str | None = None,
        body: bytes = b"",
    ) -> None:
        self.method = method
        self.uri = uri
        self.nonce = nonce
        self.nc = nc
        self.cnonce = cnonce
        self.qop = qop
        self.body = body

    def _fields(self) -> tuple[object, ...]:
        return (self.method, self.uri, self.nonce, self.nc, self.cnonce, self.qop, self.body)


def session_ha1(h: Hash, ha1: str, nonce: str, cnonce: str) -> str:
    """HA1 for a "-sess" algorithm: H(HA1 ":" nonce ":" cnonce), RFC 7616 §3.4.2."""
    return _h(h, f"{ha1}:{nonce}:{cnonce}")


def ha2(h: Hash, method: str, uri: str, qop: str | None, body: bytes) -> str:
    """H(A2), RFC 7616 §3.4.3: the entity-body's hash is part of A2 only for auth-int (the
    qop token is case-insensitive)."""
    if qop is not None and qop.lower() == "auth-int":
        return _h(h, f"{method}:{uri}:{h(body)}")
    return _h(h, f"{method}:{uri}")


def request_digest(h: Hash, ha1: str, value: DigestInput) -> str:
    """The `response` directive for `value`, given HA1 (already "-sess"-adjusted), §3.4.1."""
    second = ha2(h, value.method, value.uri, value.qop, value.body)
    if value.qop is None:
        return _h(h, f"{ha1}:{value.nonce}:{second}")
    return _h(h, f"{ha1}:{value.nonce}:{value.nc}:{value.cnonce}:{value.qop}:{second}")


def _h(h: Hash, text: str) -> str:
    # surrogateescape: a header byte that is not UTF-8 hashes as the byte it was on the wire.
    return h(text.encode("utf-8", "surrogateescape"))
