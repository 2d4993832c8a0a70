"""Building requests from parts (RFC 3261 §8.1.1): the ACK for a non-2xx, CANCEL, probes."""

from __future__ import annotations

from collections.abc import Iterable

from sipwarden.errors import LocalError
from sipwarden.sip.message import Request, encode_value
from sipwarden.sip.names import canonical, key_of
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
    for name, value in headers:
        key = key_of(name)
        if key == "content-length":
            continue
        keys.append(key)
        lines.append(canonical(key).encode() + b": " + encode_value(value))
    if content_type is not None:
        keys.append("content-type")
        lines.append(b"Content-Type: " + encode_value(content_type))
    keys.append("content-length")
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return Request(method, text, keys, lines, body, None)
