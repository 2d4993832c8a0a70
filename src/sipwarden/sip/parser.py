"""Bytes to Request/Response: datagram parsing and stream framing (RFC 3261 §7, §18.3).

The parser does only what framing and routing cannot do without: the start line, the split into
header lines (folding kept as received), each header name, and Content-Length. Header values are
left as bytes for the lazy accessors in `message.py`; `Message.validate()` checks the ones every
element needs. Every failure is a `ParseError` carrying the status to answer.

Datagrams (UDP, WebSocket): the body is framed by Content-Length when present, else by the end of
the datagram (§18.3); octets past Content-Length are ignored (RFC 4475 dblreq). Streams (TCP,
TLS): `StreamFramer` needs Content-Length on every message, skips CRLF keep-alives (RFC 5626
§3.5.1) and never buffers more than `max_size` bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sipwarden.errors import ParseError
from sipwarden.sip.message import Message, Request, Response
from sipwarden.sip.names import LINE_KEYS, TEXT_LINE_KEYS, key_of_bytes
from sipwarden.sip.scan import TOKEN_RE, is_ascii_digits
from sipwarden.sip.values import COMMON_METHODS

MAX_MESSAGE_SIZE = 65535
MAX_HEADERS = 256
_VERSION_RE = re.compile(rb"SIP/[0-9]+\.[0-9]+", re.IGNORECASE)
_TOKEN_BYTES_RE = re.compile(TOKEN_RE.pattern.encode())
_LINE_KEY = LINE_KEYS.get
_COMMON_METHODS = frozenset(method.encode() for method in COMMON_METHODS)


class Head:
    """A parsed start line and header section, before the body is attached."""

    __slots__ = ("content_length", "keys", "lines", "start")

    def __init__(
        self, start: bytes, keys: list[str], lines: list[bytes], content_length: int | None
    ) -> None:
        self.start = start
        self.keys = keys
        self.lines = lines
        self.content_length = content_length


def parse_datagram(
    data: bytes, *, max_size: int = MAX_MESSAGE_SIZE, max_headers: int = MAX_HEADERS
) -> Request | Response:
    """Parse one whole message from a datagram (UDP or a WebSocket frame)."""
    if len(data) > max_size:
        raise ParseError("message too large", 413)
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return _parse_bare_lf(data, max_headers)
    head = parse_head(data[:end], max_headers)
    body_start = end + 4
    length = head.content_length
    if length is None:
        return _build(head, data[body_start:], data)
    if len(data) - body_start < length:
        raise ParseError("body shorter than Content-Length")
    stop = body_start + length
    raw = data if stop == len(data) else data[:stop]
    return _build(head, data[body_start:stop], raw)


def _parse_bare_lf(data: bytes, max_headers: int) -> Request | Response:
    """A message whose lines end in a bare LF (tolerated, §7 asks for CRLF; RFC 5118's archive
    uses LF). It is normalized: its serialization uses CRLF, so it is not byte-exact."""
    first = data.find(b"\n")
    end = data.find(b"\n\n")
    if first < 0 or end < 0 or data[first - 1 : first] == b"\r":
        raise ParseError("header section not terminated")
    head_bytes = data[:end].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head = parse_head(head_bytes, max_headers)
    body = data[end + 2 :]
    if head.content_length is not None:
        if len(body) < head.content_length:
            raise ParseError("body shorter than Content-Length")
        body = body[: head.content_length]
    return _build(head, body, None)


def parse_head(head: bytes, max_headers: int = MAX_HEADERS) -> Head:
    """Split a header section (without its final empty line) into start line and header lines.

    Each line's key is the dict lookup of its text up to and including the first colon: the
    common spellings of every known header (names.TEXT_LINE_KEYS). Anything else (an unusual
    spelling, whitespace before the colon, a line without a colon, a continuation line, which
    starts with whitespace) misses and takes the careful path. A plain loop: compiled by mypyc
    it is ~25% faster than a regex findall over the head plus a map (the pure build pays ~0.5 us
    more per message, docs/performance.md)."""
    lines = head.split(b"\r\n")
    count = len(lines)
    if count > max_headers + 1:
        raise ParseError("too many header lines")
    # The names are cut from the head decoded once: compiled, a text find() and slice cost a
    # fraction of the bytes ones (which parse their arguments at each call). The decoding maps
    # CR, LF and ':' to themselves and nothing else to them, so the text lines and their cuts
    # correspond one to one to the bytes ones.
    texts = head.decode("utf-8", "surrogateescape").split("\r\n")
    keys: list[str] = []
    for i in range(1, count):
        key = line_key(texts[i])
        if key is None:
            return _parse_careful_head(lines)
        keys.append(key)
    start = lines[0]
    del lines[0]
    return _head(start, keys, lines)


# TEXT_LINE_KEYS by the first character and the length of the spelling (its colon included):
# `line_key` looks a line up without cutting its name out and hashing it. Each bucket holds the
# (spelling, key) pairs of that first character and length, a handful at most.
_SPAN = 32


def _buckets() -> tuple[tuple[tuple[str, str], ...], ...]:
    buckets: list[tuple[tuple[str, str], ...]] = [()] * (128 * _SPAN)
    for spelling, key in TEXT_LINE_KEYS.items():
        slot = len(spelling) * 128 + ord(spelling[0])
        buckets[slot] = (*buckets[slot], (spelling, key))
    return tuple(buckets)


_BUCKETS = _buckets()


def line_key(text: str) -> str | None:
    """TEXT_LINE_KEYS.get(text[: text.find(":") + 1]): the key of a header line in one of the
    common spellings, else None."""
    size = text.find(":") + 1
    if size <= 1 or size >= _SPAN:
        return None
    first = ord(text[0])
    if first >= 128:
        return None
    for spelling, key in _BUCKETS[size * 128 + first]:
        if text.startswith(spelling):
            return key
    return None


def _parse_careful_head(lines: list[bytes]) -> Head:
    lines = _join_folded(lines)
    start = lines[0]
    del lines[0]
    keys = [_LINE_KEY(line[: line.find(b":") + 1]) or _slow_key_of_line(line) for line in lines]
    return _head(start, keys, lines)


def _head(start: bytes, keys: list[str], lines: list[bytes]) -> Head:
    length = _content_length(lines, keys) if "content-length" in keys else None
    return Head(start, keys, lines, length)


def _slow_key_of_line(line: bytes) -> str:
    colon = line.find(b":")
    if colon <= 0:
        raise ParseError("malformed header line")
    return key_of_bytes(line[:colon])


def _join_folded(lines: list[bytes]) -> list[bytes]:
    """Attach continuation lines (§7.3.1 LWS folding) to the line they continue, keeping the
    CRLF and indentation so the bytes stay exactly as received."""
    out: list[bytes] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and len(out) > 1:
            out[-1] = out[-1] + b"\r\n" + line
        elif line[:1] in (b" ", b"\t"):
            raise ParseError("continuation line without a header")
        else:
            out.append(line)
    return out


def _content_length(lines: list[bytes], keys: list[str]) -> int:
    """The declared body length; conflicting, signed or non-numeric values are framing errors
    (RFC 4475 ncl, mcl01)."""
    text = _length_text(lines[keys.index("content-length")])
    if keys.count("content-length") > 1:
        for key, other in zip(keys, lines):
            if key == "content-length" and _length_text(other) != text:
                raise ParseError("conflicting Content-Length headers")
    if len(text) > 10 or not is_ascii_digits(text):
        raise ParseError("bad Content-Length")
    return int(text)


def _length_text(line: bytes) -> str:
    """A Content-Length line's value, stripped of whitespace and line breaks (cut as text, as
    in parse_head)."""
    decoded = line.decode("utf-8", "surrogateescape")
    return decoded[decoded.find(":") + 1 :].strip(" \t\r\n")


def _build(head: Head, body: bytes, raw: bytes | None) -> Request | Response:
    """The Request or Response of a head and body. The usual start line is read as text
    (decoding is a primitive of the compiled build, bytes.split() and upper() are not): a
    known method, a URI and exactly `SIP/2.0`, or `SIP/2.0 NNN reason`. Anything else takes
    the checked path on the bytes, which gives the answer for it."""
    start = head.start
    text = start.decode("utf-8", "surrogateescape")
    if text.startswith("SIP/2.0 "):
        response = _usual_response(head, text, body, raw)
        if response is not None:
            return response
    else:
        parts = text.split(" ")
        if len(parts) == 3 and parts[2] == "SIP/2.0" and parts[1] and parts[0] in COMMON_METHODS:
            return Request(parts[0], parts[1], head.keys, head.lines, body, raw, start)
    if start[:4].upper() == b"SIP/":
        return _response(head, body, raw)
    return _request(head, body, raw)


def _usual_response(head: Head, text: str, body: bytes, raw: bytes | None) -> Response | None:
    """_response() for `SIP/2.0 NNN[ reason]` with a three-digit code from 100; else None."""
    parts = text.split(" ", 2)
    code = parts[1]
    if len(code) != 3:
        return None
    status = 0
    for i in range(3):
        digit = ord(code[i]) - 48
        if digit < 0 or digit > 9:
            return None
        status = status * 10 + digit
    if status < 100:
        return None
    reason = parts[2] if len(parts) == 3 else ""
    return Response(status, reason, head.keys, head.lines, body, raw, head.start)


def _request(head: Head, body: bytes, raw: bytes | None) -> Request:
    """The checked request-line path (the reference `_build`'s text path must agree with)."""
    parts = head.start.split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise ParseError("malformed request line")
    method, uri, version = parts
    if version != b"SIP/2.0" and version.upper() != b"SIP/2.0":
        if _VERSION_RE.fullmatch(version):
            raise ParseError("SIP version not supported", 505)
        raise ParseError("malformed request line")
    if method not in _COMMON_METHODS and _TOKEN_BYTES_RE.fullmatch(method) is None:
        raise ParseError("bad method")
    return Request(
        method.decode("ascii"),
        uri.decode("utf-8", "surrogateescape"),
        head.keys,
        head.lines,
        body,
        raw,
        head.start,
    )


def _response(head: Head, body: bytes, raw: bytes | None) -> Response:
    parts = head.start.split(b" ", 2)
    if len(parts) < 2 or parts[0].upper() != b"SIP/2.0":
        raise ParseError("malformed status line", 505 if len(parts) >= 2 else 400)
    code = parts[1]
    if len(code) != 3 or not code.isdigit() or code[:1] == b"0":
        raise ParseError("bad status code")
    status = int(code)
    if status < 100:
        raise ParseError("bad status code")
    reason = parts[2].decode("utf-8", "surrogateescape") if len(parts) == 3 else ""
    return Response(status, reason, head.keys, head.lines, body, raw, head.start)


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """A CRLF keep-alive seen on a stream (RFC 5626 §3.5.1): `ping` asks for a CRLF pong."""

    ping: bool


class StreamFramer:
    """Cuts a TCP/TLS byte stream into messages by Content-Length (§18.3).

    Feed bytes with `feed()`, then call `next_event()` until it returns None. A ParseError from
    `next_event()` means the framing is lost: the caller answers if it can and closes.
    """

    def __init__(self, *, max_size: int = MAX_MESSAGE_SIZE, max_headers: int = MAX_HEADERS):
        self.max_size = max_size
        self.max_headers = max_headers
        self._buffer = bytearray()
        self._head: Head | None = None
        self._head_size = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole message."""
        return len(self._buffer)

    def pending(self) -> bytes:
        """A copy of the bytes received but not yet part of a whole message (`buffered` long):
        what a stateless error is built from when framing is lost (§18.3)."""
        return bytes(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_event(self) -> Request | Response | KeepAlive | None:
        """The next whole message or keep-alive, or None when more bytes are needed."""
        if self._head is None:
            keepalive = self._keepalive()
            if keepalive is not None:
                return keepalive
            if not self._read_head():
                return None
        return self._read_body()

    def _keepalive(self) -> KeepAlive | None:
        buffer = self._buffer
        if buffer[:4] == b"\r\n\r\n":
            del buffer[:4]
            return KeepAlive(ping=True)
        if buffer[:2] == b"\r\n" and len(buffer) >= 4:
            del buffer[:2]
            return KeepAlive(ping=False)
        return None

    def _read_head(self) -> bool:
        buffer = self._buffer
        if buffer[:2] == b"\r\n":
            return False  # a keep-alive still arriving
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > self.max_size:
                raise ParseError("message too large", 413)
            return False
        head = parse_head(bytes(buffer[:end]), self.max_headers)
        if head.content_length is None:
            raise ParseError("missing Content-Length on a stream transport")
        if end + 4 + head.content_length > self.max_size:
            raise ParseError("message too large", 413)
        self._head = head
        self._head_size = end + 4
        return True

    def _read_body(self) -> Request | Response | None:
        head = self._head
        assert head is not None and head.content_length is not None
        total = self._head_size + head.content_length
        buffer = self._buffer
        if len(buffer) < total:
            return None
        raw = bytes(buffer[:total])
        del buffer[:total]
        self._head = None
        return _build(head, raw[self._head_size :], raw)


def parse_message(data: bytes) -> Message:
    """Parse and validate a datagram: a shortcut for tests and tools."""
    message = parse_datagram(data)
    message.validate()
    return message
