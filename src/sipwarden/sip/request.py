"""Building requests from parts (RFC 3261 §8.1.1): the ACK for a non-2xx, CANCEL, probes."""

from __future__ import annotations

from collections.abc import Iterable

from sipwarden.errors import LocalError
from sipwarden.sip.message import Request, append_header_lines
from sipwarden.sip.scan import is_token


def build_request(
    method: str,
    uri: object,
    headers: Iterable[tuple[str, str]],
    body: bytes = b"",
    content_type: str | None = None,
) -> Request:
    """A request with `headers` in the given order, `body`, and a correct Content-Length.

    `uri` is a parsed URI or its text. Header names are written in their canonical spelling; any
    Content-Length given is ignored in favour of the body's real length.
    """
    if not is_token(method):
        raise LocalError(f"{method!r} is not a SIP method token")
    text = str(uri)
    if not text or any(ch in text for ch in " \t\r\n"):
        raise LocalError("a Request-URI has no whitespace")
    keys: list[str] = []
    lines: list[bytes] = []
    append_header_lines(keys, lines, headers, body, content_type)
    return Request(method, text, keys, lines, body, None)
