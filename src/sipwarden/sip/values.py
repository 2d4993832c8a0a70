"""Scalar header values: CSeq, Max-Forwards, Content-Type, Retry-After (RFC 3261 §20)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sipwarden.errors import ParseError
from sipwarden.sip.address import parse_delta_seconds
from sipwarden.sip.scan import (
    PLAIN_PARAMS,
    TOKEN_RE,
    Params,
    format_params,
    is_ascii_digits,
    is_token,
    parse_params,
    split_outside,
    split_plain_params,
)

_CSEQ_RE = re.compile(r"([0-9]+)[ \t]+([^ \t]+)")
_MEDIA_RE = re.compile(r"([^/\s;]+)\s*/\s*([^/\s;]+)\s*(;.*)?", re.DOTALL)
# The usual Content-Type (`application/sdp`, `text/plain;charset=UTF-8`) in one match: token
# type and subtype, no whitespace, plain parameters. A strict subset of what the general path
# accepts, with the same result; anything else takes that path.
_PLAIN_MEDIA_RE = re.compile(f"({TOKEN_RE.pattern})/({TOKEN_RE.pattern})({PLAIN_PARAMS})")
_RETRY_RE = re.compile(r"([0-9]+)(?:\s*(\([^)]*\)))?\s*(;.*)?", re.DOTALL)  # no \s*\s* backtracking
CSEQ_LIMIT = 2**31  # §8.1.1.5: the sequence number MUST be less than 2**31


class CSeq:
    """CSeq (§20.16): a sequence number and the method it belongs to. A value: never changed
    after it is made, equal and hashed by its fields. (A plain slotted class rather than a
    frozen dataclass: one is made per message, and a frozen dataclass's __init__ costs four
    times as much.)"""

    __slots__ = ("method", "seq")

    def __init__(self, seq: int, method: str) -> None:
        self.seq = seq
        self.method = method

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"

    def __repr__(self) -> str:
        return f"CSeq(seq={self.seq!r}, method={self.method!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CSeq):
            return NotImplemented
        return self.seq == other.seq and self.method == other.method

    def __hash__(self) -> int:
        return hash((self.seq, self.method))


COMMON_METHODS = frozenset(
    {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY",
     "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE"}
)  # fmt: skip


def parse_cseq(value: str) -> CSeq:
    """Parse a CSeq value; the number must be below 2**31 (§8.1.1.5), the method a token."""
    number, _, method = value.partition(" ")
    if method in COMMON_METHODS and len(number) <= 10 and is_ascii_digits(number):
        seq = int(number)
        if seq < CSEQ_LIMIT:
            return CSeq(seq, method)
    match = _CSEQ_RE.fullmatch(value)
    if match is None:
        raise ParseError("malformed CSeq")
    number, method = match.groups()
    if not number.isascii() or len(number) > 10 or int(number) >= CSEQ_LIMIT:
        raise ParseError("CSeq number out of range")
    if not is_token(method):
        raise ParseError("bad CSeq method")
    return CSeq(int(number), method)


def parse_max_forwards(value: str) -> int:
    """Max-Forwards (§20.22): an integer from 0 to 255 (leading zeros allowed)."""
    if len(value) > 10 or not is_ascii_digits(value):
        raise ParseError("bad Max-Forwards")
    hops = int(value)
    if hops > 255:
        raise ParseError("Max-Forwards out of range")
    return hops


class ContentType:
    """Content-Type (§20.15): `type/subtype *(;param)`; type and subtype lower-cased. A value,
    like CSeq (read for every request with a body)."""

    __slots__ = ("params", "subtype", "type")

    def __init__(self, type: str, subtype: str, params: Params = ()) -> None:
        self.type = type
        self.subtype = subtype
        self.params = params

    def __repr__(self) -> str:
        return f"ContentType(type={self.type!r}, subtype={self.subtype!r}, params={self.params!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentType):
            return NotImplemented
        return (self.type, self.subtype, self.params) == (other.type, other.subtype, other.params)

    def __hash__(self) -> int:
        return hash((self.type, self.subtype, self.params))

    @property
    def mime(self) -> str:
        return f"{self.type}/{self.subtype}"

    def __str__(self) -> str:
        return f"{self.mime}{format_params(self.params)}"


def parse_content_type(value: str) -> ContentType:
    """media-type = m-type SLASH m-subtype *(SEMI m-parameter) (§20.15, §25.1)."""
    match = _PLAIN_MEDIA_RE.fullmatch(value)
    if match is not None:
        type_: str
        subtype: str
        rest: str | None
        type_, subtype, rest = match.groups()
        params = split_plain_params(rest) if rest else ()
        return ContentType(type_.lower(), subtype.lower(), params)
    return _parse_content_type_checked(value)


def _parse_content_type_checked(value: str) -> ContentType:
    """parse_content_type() without the one-match fast path (the reference it must agree with)."""
    match = _MEDIA_RE.fullmatch(value.strip())
    if match is None or not is_token(match[1]) or not is_token(match[2]):
        raise ParseError("malformed Content-Type")
    rest = match[3]
    params = parse_params(split_outside(rest[1:], ";"), what="Content-Type") if rest else ()
    return ContentType(match[1].lower(), match[2].lower(), params)


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """Retry-After (§20.33): delta-seconds, an optional comment and parameters (duration)."""

    seconds: int
    comment: str | None = None
    params: Params = ()


def parse_retry_after(value: str) -> RetryAfter:
    match = _RETRY_RE.fullmatch(value.strip())
    if match is None:
        raise ParseError("malformed Retry-After")
    seconds = parse_delta_seconds(match[1])
    rest = match[3]
    params = parse_params(split_outside(rest[1:], ";"), what="Retry-After") if rest else ()
    comment = match[2][1:-1] if match[2] else None
    return RetryAfter(seconds, comment, params)
