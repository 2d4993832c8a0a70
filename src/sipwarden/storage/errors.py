"""The one exception a shared store raises when its backend cannot be reached.

A store on Redis or PostgreSQL turns every connection failure (refused, reset, timed out, the
server still loading its data) into `StoreUnavailable` after its bounded retries, so callers
catch one type. A write that raises was not acknowledged: it may or may not have been applied,
and the caller must not report success (the server answers 503 with Retry-After).
"""

from __future__ import annotations

from sipwarden.errors import SipwardenError

DEFAULT_RETRY_AFTER = 5  # seconds: the Retry-After of the 503 a server answers meanwhile


class StoreUnavailable(SipwardenError):
    """`backend` ("redis", "postgresql") did not answer; `retry_after` is a hint in seconds."""

    def __init__(self, backend: str, detail: str, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(f"{backend} unavailable: {detail}")
        self.backend = backend
        self.detail = detail
        self.retry_after = retry_after
