"""Shared test helpers: a reference digest client written from the RFC formulas, independent of
sipwarden.auth.compute, plus request builders and deterministic randomness."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.digest_auth import DigestAuth
from sipwarden.auth.hashes import ha1_all
from sipwarden.auth.outcome import Authenticated, Failed
from sipwarden.auth.store import UserRecord
from sipwarden.sip.digest import Challenge, parse_challenge
from sipwarden.sip.message import Request
from sipwarden.sip.request import build_request

SECRET = b"0123456789abcdef-test-secret"
REALM = "example.com"
NOW = 1_700_000_000.0
PASSWORD = "s3cret pass"

_HASHLIB_NAMES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def ref_h(algorithm: str, data: str | bytes) -> str:
    """H of RFC 7616 §3.4.2, straight from hashlib."""
    name = _HASHLIB_NAMES[algorithm.upper().removesuffix("-SESS")]
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.new(name, raw).hexdigest()


def ref_response(
    algorithm: str,
    *,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str | None = None,
    cnonce: str | None = None,
    qop: str | None = None,
    body: bytes = b"",
) -> str:
    """The request-digest of RFC 7616 §3.4.1-§3.4.3 (and RFC 2069 when qop is None)."""
    a1 = ref_h(algorithm, f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        a1 = ref_h(algorithm, f"{a1}:{nonce}:{cnonce}")
    if qop is not None and qop.lower() == "auth-int":
        a2 = ref_h(algorithm, f"{method}:{uri}:{ref_h(algorithm, body)}")
    else:
        a2 = ref_h(algorithm, f"{method}:{uri}")
    if qop is None:
        return ref_h(algorithm, f"{a1}:{nonce}:{a2}")
    return ref_h(algorithm, f"{a1}:{nonce}:{nc}:{cnonce}:{qop}:{a2}")


class FakeRandom:
    """Deterministic `random_bytes`: a different block on every call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, n: int) -> bytes:
        self.calls += 1
        return hashlib.sha256(self.calls.to_bytes(8, "big")).digest()[:n]


def make_auth(config: AuthConfig | None = None) -> DigestAuth:
    return DigestAuth(config or AuthConfig(), SECRET, FakeRandom())


def record(user: str = "alice", domain: str = REALM, password: str = PASSWORD) -> UserRecord:
    return UserRecord(user, domain, ha1_all(user, domain, password))


def make_request(
    method: str = "REGISTER",
    uri: str = "sip:example.com",
    *,
    from_uri: str = "sip:alice@example.com",
    to_uri: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> Request:
    headers = [
        ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds"),
        ("Max-Forwards", "70"),
        ("From", f"<{from_uri}>;tag=1928301774"),
        ("To", f"<{to_uri or from_uri}>"),
        ("Call-ID", "a84b4c76e66710@pc33.example.com"),
        ("CSeq", f"1 {method}"),
        *extra,
    ]
    content_type = "application/sdp" if body else None
    return build_request(method, uri, headers, body, content_type)


@dataclass
class Client:
    """A UAC answering a challenge the way RFC 7616 §3.4 says, with the reference formulas."""

    username: str = "alice"
    password: str = PASSWORD
    cnonce: str = "0a4f113b"
    nc: int = 1
    qop: str | None = "auth"
    extra: dict[str, str] = field(default_factory=dict)

    def authorization(
        self, challenge: Challenge, request: Request, *, uri: str | None = None
    ) -> str:
        digest_uri = request.uri_text if uri is None else uri
        nonce = challenge.nonce or ""
        nc = f"{self.nc:08x}"
        response = ref_response(
            challenge.algorithm,
            username=self.username,
            realm=challenge.realm or "",
            password=self.password,
            method=request.method,
            uri=digest_uri,
            nonce=nonce,
            nc=nc,
            cnonce=self.cnonce,
            qop=self.qop,
            body=request.body,
        )
        parts = {
            "username": f'"{self.username}"',
            "realm": f'"{challenge.realm}"',
            "nonce": f'"{nonce}"',
            "uri": f'"{digest_uri}"',
            "response": f'"{response}"',
            "algorithm": challenge.algorithm,
        }
        if self.qop is not None:
            parts.update(qop=self.qop, nc=nc, cnonce=f'"{self.cnonce}"')
        parts.update(self.extra)
        return "Digest " + ", ".join(f"{k}={v}" for k, v in parts.items())


def challenge_for(
    auth: DigestAuth, algorithm: str, *, realm: str = REALM, now: float = NOW, proxy: bool = False
) -> Challenge:
    """The challenge `auth` sends for `algorithm`."""
    request = make_request()
    challenged = auth.challenge(request, realm, proxy=proxy, now=now)
    for _, value in challenged.headers:
        parsed = parse_challenge(value)
        if parsed.algorithm == algorithm:
            return parsed
    raise AssertionError(f"no {algorithm} challenge in {challenged.headers}")


def signed_request(
    auth: DigestAuth,
    client: Client,
    algorithm: str = "SHA-256",
    *,
    proxy: bool = False,
    challenge_now: float = NOW,
    method: str = "REGISTER",
    uri: str = "sip:example.com",
    body: bytes = b"",
) -> Request:
    """A request carrying `client`'s answer to a fresh `algorithm` challenge from `auth`."""
    challenge = challenge_for(auth, algorithm, now=challenge_now, proxy=proxy)
    bare = make_request(method, uri, body=body)
    header = "Proxy-Authorization" if proxy else "Authorization"
    value = client.authorization(challenge, bare)
    return make_request(method, uri, body=body, extra=((header, value),))


def failed_reason(verdict: Authenticated | Failed) -> str:
    """The internal reason of a verdict that must be a failure."""
    assert isinstance(verdict, Failed), verdict
    return verdict.reason
