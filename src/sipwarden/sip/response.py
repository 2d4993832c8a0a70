"""Building responses to requests (RFC 3261 §8.2.6) and stateless error answers (§16.3, §18.2).

Header lines copied from the request are copied as bytes, so a Via with odd spacing or parameters
we do not know reaches the client exactly as it sent it (§8.2.6.2: Via, From, Call-ID and CSeq
are copied; To is copied and gets a tag when it has none and the response is not a 100).

A To tag must be the same for retransmissions of one request, so it is derived from the request
(a hash of Call-ID, From tag, CSeq and top branch) unless the caller passes one: no randomness here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.message import Request, Response, append_header_lines, decode_value
from sipwarden.sip.names import key_of_bytes
from sipwarden.sip.parser import MAX_MESSAGE_SIZE
from sipwarden.sip.scan import split_commas
from sipwarden.sip.status import reason_for
from sipwarden.sip.via import parse_via

_COPIED = frozenset({"via", "from", "to", "call-id", "cseq"})


def derive_tag(*parts: bytes) -> str:
    """A stable, unguessable-enough local tag (§19.3) derived from request identity bytes."""
    return hashlib.blake2b(b"\0".join(parts), digest_size=8).hexdigest()


def build_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """The response `status` to `request` per §8.2.6 with extra `headers` appended."""
    if not 100 <= status <= 699:
        raise LocalError(f"status {status} is not a SIP status code")
    keys: list[str] = []
    lines: list[bytes] = []
    wanted = _COPIED | {"timestamp"} if status == 100 else _COPIED  # §8.2.6.1
    for key, line in zip(request._keys, request._lines):
        if key not in wanted:
            continue
        if key == "to" and status != 100:
            line = _with_tag(request, line, to_tag)
        keys.append(key)
        lines.append(line)
    return _finish(status, reason, keys, lines, headers, body, content_type)


def _with_tag(request: Request, line: bytes, to_tag: str | None) -> bytes:
    if request.to.tag is not None:
        return line
    tag = to_tag or derive_tag(
        request.call_id.encode("utf-8", "surrogateescape"),
        (request.from_.tag or "").encode("utf-8", "surrogateescape"),
        str(request.cseq).encode("utf-8", "surrogateescape"),
        (request.top_via.branch or "").encode("utf-8", "surrogateescape"),
    )
    return line + b";tag=" + tag.encode()


def _finish(
    status: int,
    reason: str | None,
    keys: list[str],
    lines: list[bytes],
    headers: Iterable[tuple[str, str]],
    body: bytes,
    content_type: str | None,
) -> Response:
    append_header_lines(keys, lines, headers, body, content_type)
    phrase = reason if reason is not None else reason_for(status)
    if "\r" in phrase or "\n" in phrase:
        raise LocalError("reason phrase contains CR or LF")
    return Response(status, phrase, keys, lines, body, None)


def stateless_error(data: bytes, error: ParseError) -> bytes | None:
    """The bytes of an error response to a request that failed to parse, or None to drop it.

    §16.3 / §18.2: answer a malformed request when it can still be addressed, which means a
    request line and a readable top Via. Responses, and anything without a usable Via, are
    dropped (answering those would help reflection attacks and reach no one). From, To, Call-ID
    and CSeq are copied when present as lines, whatever their syntax.
    """
    if data[:4].upper() == b"SIP/" or error.status < 300:
        return None
    end = data.find(b"\r\n\r\n")
    head = data[: end if end >= 0 else min(len(data), 65535)]
    lines = _loose_lines(head)
    if lines is None or not _request_line_ok(lines[0]):
        return None
    keys, kept = _loose_copy(lines[1:])
    if "via" not in keys or not _top_via_ok(kept[keys.index("via")]):
        return None
    if "to" in keys:
        i = keys.index("to")
        if b";tag=" not in kept[i].replace(b" ", b"").lower():
            kept[i] = kept[i] + b";tag=" + derive_tag(head[:512]).encode()
    reason = error.reason if error.reason.isprintable() else reason_for(error.status)
    wire = _finish(error.status, reason, keys, kept, (), b"", None).serialize()
    # A reply no peer could read (over the datagram limit: a request made of huge Vias) is
    # dropped rather than sent.
    return wire if len(wire) <= MAX_MESSAGE_SIZE else None


def _loose_lines(head: bytes) -> list[bytes] | None:
    lines: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and lines:
            lines[-1] = lines[-1] + b"\r\n" + line
        else:
            lines.append(line)
    return lines if len(lines) > 1 else None


def _request_line_ok(line: bytes) -> bool:
    parts = line.strip(b" \t").split()
    return len(parts) >= 3 and parts[0].isalpha() and parts[-1].upper().startswith(b"SIP/")


def _loose_copy(lines: list[bytes]) -> tuple[list[str], list[bytes]]:
    keys: list[str] = []
    kept: list[bytes] = []
    for line in lines:
        colon = line.find(b":")
        if colon <= 0:
            continue
        try:
            key = key_of_bytes(line[:colon])
        except ParseError:
            continue
        if key in _COPIED and (key == "via" or key not in keys):
            keys.append(key)
            kept.append(line)
    return keys, kept


def _top_via_ok(line: bytes) -> bool:
    try:
        parse_via(split_commas(decode_value(line))[0])
    except ParseError:
        return False
    return True
