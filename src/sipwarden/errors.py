"""The one exception root of sipwarden.

`RemoteError` is the peer's fault (bad bytes on the wire) and carries the SIP status to answer
with; `LocalError` is our own misuse of an API (a bug or a bad argument, never the peer's doing).
"""

from __future__ import annotations


class SipwardenError(Exception):
    """Root of every exception sipwarden raises on purpose."""


class RemoteError(SipwardenError):
    """Something a peer sent is wrong; `status` is the SIP response code to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


class ParseError(RemoteError):
    """A SIP message (or a part of one) could not be parsed.

    `status` is the answer to give when the message is a request that can still be addressed:
    400 for bad syntax, 413 when too large, 416 for an unusable URI scheme, 505 for a bad version.
    `reason` is short, printable and safe to put in a Reason-Phrase or a log line.
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(status, reason)


class LocalError(SipwardenError):
    """We misused an API: a bug in our code or an invalid argument, never the peer's fault."""
