"""Who may use the admin API: loopback-only by default, a token or basic auth elsewhere.

How this works: `AuthPolicy` holds the credentials (none on loopback). `check()` answers a
request with None (let it through) or the reason to refuse it:
- with credentials: `Authorization: Bearer TOKEN` or `Basic base64(user:password)`,
  compared in constant time;
- without (loopback): the Host header must name a loopback host, so a web page whose DNS
  name is rebound to 127.0.0.1 cannot drive the API from the admin's own browser;
- always, for state-changing methods: an `Origin` header, when sent, must match the Host
  (a cross-site form cannot post here; JSON bodies already force a CORS preflight).
The dashboard's static files are open: they hold no data, and the page asks for the token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from sipwarden.config.admin_checks import is_loopback

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """`token` and/or `basic` (user, password); neither: loopback only, no credentials."""

    token: str | None = None
    basic: tuple[str, str] | None = None

    @property
    def required(self) -> bool:
        return self.token is not None or self.basic is not None

    def challenge(self) -> str:
        """The WWW-Authenticate value of a 401."""
        if self.basic is not None:
            return 'Basic realm="sipwarden admin", charset="UTF-8"'
        return 'Bearer realm="sipwarden admin"'

    def check(self, method: str, host: str, origin: str | None, authorization: str) -> str | None:
        """None when the request may proceed, else why not ("unauthorized" means 401)."""
        if method not in SAFE_METHODS and origin is not None and not _same_origin(origin, host):
            return "cross-origin request refused"
        if not self.required:
            return None if _loopback_host(host) else "Host is not a loopback name"
        return None if self._authorized(authorization) else "unauthorized"

    def _authorized(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and self.token is not None:
            return hmac.compare_digest(value.encode(), self.token.encode())
        if scheme == "basic" and self.basic is not None:
            return _basic_matches(value, self.basic)
        return False


def _basic_matches(value: str, expected: tuple[str, str]) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    user_ok = hmac.compare_digest(user.encode(), expected[0].encode())
    password_ok = hmac.compare_digest(password.encode(), expected[1].encode())
    return bool(sep) and user_ok and password_ok


def _host_name(host: str) -> str:
    """`127.0.0.1:8088` -> 127.0.0.1, `[::1]:8088` -> ::1, `localhost` -> localhost."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _loopback_host(host: str) -> bool:
    return is_loopback(_host_name(host).lower())


def _same_origin(origin: str, host: str) -> bool:
    return urlsplit(origin).netloc.lower() == host.lower()
