"""name-addr / addr-spec values: From, To, Contact, Route, Record-Route, Path, Refer-To, PAI.

RFC 3261 §20.10 and §25.1: `( name-addr / addr-spec ) *( SEMI param )`. In the addr-spec form
(no angle brackets) everything after the first ';' is a header parameter, never a URI parameter
(RFC 4475 cparam01), and a URI with '?', ',' or ';' must be bracketed (RFC 4475 regbadct).
The URI itself is parsed lazily (`.uri`) so relaying a message costs no URI parsing.
"""

from __future__ import annotations

import re

from sipwarden.errors import ParseError
from sipwarden.sip.scan import (
    PLAIN_PARAMS,
    Params,
    format_params,
    is_ascii_digits,
    is_token,
    is_token_code,
    param_value,
    parse_param_text,
    quote,
    scan_plain_params,
    skip_quoted,
    split_plain_params,
    unquote,
)
from sipwarden.sip.uri import Uri, parse_uri

_TOKENS_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+(?:[ \t]+[A-Za-z0-9\-.!%*_+`'~]+)*")
_SCANNABLE_RE = re.compile(r"[^\s<>\"]+")


class NameAddr:
    """One address value. `display_name` is decoded (quotes and quoted-pairs removed)."""

    __slots__ = ("_uri", "display_name", "params", "uri_text")

    def __init__(self, uri_text: str, display_name: str | None = None, params: Params = ()):
        self.uri_text = uri_text
        self.display_name = display_name
        self.params = params
        self._uri: Uri | None = None

    @property
    def uri(self) -> Uri:
        """The parsed URI (RFC 3261 §19); ParseError if it is malformed."""
        if self._uri is None:
            self._uri = parse_uri(self.uri_text)
        return self._uri

    @property
    def is_star(self) -> bool:
        """True for the `Contact: *` wildcard (§10.2.2, §20.10)."""
        return self.uri_text == "*"

    def param(self, name: str) -> str | None:
        return param_value(self.params, name)

    @property
    def tag(self) -> str | None:
        return param_value(self.params, "tag")

    @property
    def q(self) -> float | None:
        """The q-value of a Contact (§20.10): 0 to 1 with at most 3 decimals; ParseError if bad."""
        value = param_value(self.params, "q")
        if value is None:
            return None
        if re.fullmatch(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", value) is None:
            raise ParseError("bad q-value")
        return float(value)

    @property
    def expires(self) -> int | None:
        """The expires parameter of a Contact (§20.10), or None; ParseError if not delta-seconds."""
        value = param_value(self.params, "expires")
        return None if value is None else parse_delta_seconds(value)

    def with_params(self, params: Params) -> NameAddr:
        return NameAddr(self.uri_text, self.display_name, params)

    def __str__(self) -> str:
        if self.is_star:
            return "*"
        name = "" if self.display_name is None else quote(self.display_name) + " "
        return f"{name}<{self.uri_text}>{format_params(self.params)}"

    def __repr__(self) -> str:
        return f"NameAddr({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NameAddr):
            return NotImplemented
        return (self.uri_text, self.display_name, self.params) == (
            other.uri_text,
            other.display_name,
            other.params,
        )

    def __hash__(self) -> int:
        return hash((self.uri_text, self.display_name, self.params))


def parse_delta_seconds(text: str) -> int:
    """delta-seconds (§25.1): 1*DIGIT, at most 2**32-1; ParseError otherwise (no wrap-around)."""
    if not is_ascii_digits(text):
        raise ParseError("bad delta-seconds")
    significant = text.lstrip("0")
    if len(significant) > 10:  # never hand int() thousands of digits (RFC 4475 scalar02)
        raise ParseError("delta-seconds out of range")
    value = int(significant or "0")
    if value > 0xFFFFFFFF:
        raise ParseError("delta-seconds out of range")
    return value


# The common shapes, matched in one go: `"Display" <uri>;params`, `Tokens <uri>;params`,
# `<uri>;params` and `uri;params` with no whitespace inside the parameters.
_FAST_RE = re.compile(
    r'(?:"((?:[^"\\\r\n]|\\[^\r\n])*)" ?|([A-Za-z0-9\-.!%*_+`\'~ ]*?) ?)?<([^\s<>"]+)>(;\S*)?'
)
# _FAST_RE with the parameters already in their plain shape and a URI of printable ASCII (a
# range the engine checks faster than `[^\s<>"]`): tried first, so the usual value is
# checked in one match. The quoted display name is the same language written as an unrolled loop
# (`normal* (escape normal*)*`), which the regex engine runs about twice as fast; the groups are
# the same as _FAST_RE's.
_FASTEST_RE = re.compile(
    r'(?:"([^"\\\r\n]*(?:\\[^\r\n][^"\\\r\n]*)*)" ?|([A-Za-z0-9\-.!%*_+`\'~ ]*?) ?)?'
    r"<([!#-;=?-~]+)>"
    f"({PLAIN_PARAMS})"
)
_FAST_SPEC_RE = re.compile(r"([^\s<>\"?,;]+)(;\S*)?")


# Addresses parsed lately, by their text, as uri.parse_uri keeps URIs: the From and To of a
# dialog come back in each of its messages, and a NameAddr is a value nothing edits (its URI,
# parsed on demand, is shared too). `what` only names the header in errors, which are not kept.
# Bounded in entries (emptied when full) and in size (only short texts).
_PARSED: dict[str, NameAddr] = {}
PARSED_CACHE_SIZE = 2048
PARSED_CACHE_MAX_TEXT = 512


def parse_name_addr(value: str, *, what: str = "address") -> NameAddr:
    """Parse one name-addr or addr-spec with its parameters (one element of a list)."""
    address = _PARSED.get(value)
    if address is None:
        address = _parse_name_addr(value, what)
        if len(value) <= PARSED_CACHE_MAX_TEXT:
            if len(_PARSED) >= PARSED_CACHE_SIZE:
                _PARSED.clear()
            _PARSED[value] = address
    return address


def _parse_name_addr(value: str, what: str) -> NameAddr:
    """parse_name_addr() without the cache."""
    address = _scan_name_addr(value)
    if address is not None:
        return address
    return _parse_name_addr_matched(value, what)


def _parse_name_addr_matched(value: str, what: str) -> NameAddr:
    """parse_name_addr() without the cache and the scanner: the regex paths."""
    match = _FASTEST_RE.fullmatch(value)
    if match is not None:
        return _from_match(match, value, what, True)
    return _parse_name_addr_checked(value, what)


def _scan_name_addr(value: str) -> NameAddr | None:
    """The usual shapes read by hand: `"Display" <uri>;params`, `Tokens <uri>;params`,
    `<uri>;params` and `uri;params`, with a display name free of escapes, a URI of printable
    ASCII and plain parameters (scan.scan_plain_params). Each is what the regex paths make of
    the same text; None for anything else, which those paths then read."""
    lt = value.find("<")
    if lt < 0:
        return _scan_addr_spec(value)
    display: str | None = None
    if lt > 0:
        display = _scan_display(value, lt)
        if display is None:
            return None
    gt = value.find(">", lt + 1)
    if gt <= lt + 1:
        return None
    for i in range(lt + 1, gt):
        c = ord(value[i])
        # [!#-;=?-~]: printable ASCII but space, '"', '<' and '>'
        if c < 33 or c > 126 or c == 34 or c == 60:
            return None
    params = scan_plain_params(value, gt + 1)
    if params is None:
        return None
    return NameAddr(value[lt + 1 : gt], display, params)


def _scan_display(value: str, lt: int) -> str | None:
    """The display name before the '<' at `lt`: a quoted string without escapes or line
    breaks, or tokens separated by single spaces; either may be followed by one space.
    None when it has another shape (also for a display name of nothing but a space)."""
    end = lt - 1 if ord(value[lt - 1]) == 32 else lt
    if end <= 0:
        return None
    if ord(value[0]) == 34:  # '"'
        if end < 2 or ord(value[end - 1]) != 34:
            return None
        for i in range(1, end - 1):
            c = ord(value[i])
            if c == 34 or c == 92 or c == 13 or c == 10:  # '"', '\\', CR, LF
                return None
        return value[1 : end - 1]
    if ord(value[end - 1]) == 32:
        return None
    previous = 32
    for i in range(end):
        c = ord(value[i])
        if c == 32:
            if previous == 32:  # a leading space or two in a row: kept as written elsewhere
                return None
        elif not is_token_code(c):
            return None
        previous = c
    return value[:end]


def _scan_addr_spec(value: str) -> NameAddr | None:
    """`uri;params` with a URI of printable ASCII but '"', '?', ',', ';', '<', '>' (the
    characters `_FAST_SPEC_RE` stops at) and plain parameters; None otherwise."""
    semi = value.find(";")
    end = len(value) if semi < 0 else semi
    if end == 0:
        return None
    for i in range(end):
        c = ord(value[i])
        if c < 33 or c > 126 or c == 34 or c == 44 or c == 60 or c == 62 or c == 63:
            return None
    uri_text = value[:end]
    if uri_text == "*":
        return None
    params = scan_plain_params(value, end)
    if params is None:
        return None
    return NameAddr(uri_text, None, params)


def _from_match(match: re.Match[str], value: str, what: str, plain: bool) -> NameAddr:
    """The NameAddr a fast-regex match describes; odd spacing in a token display name is left
    to the exact path, which keeps it as written. `plain`: the parameters matched PLAIN_PARAMS
    (split them without checking again). A flag rather than a parser function passed in, so
    the compiled build calls either parser directly."""
    quoted: str | None
    tokens: str | None
    uri_text: str
    rest: str | None
    quoted, tokens, uri_text, rest = match.groups()
    if tokens and (tokens[0] == " " or tokens[-1] == " " or "  " in tokens):
        return _parse_slow(value, what)
    if quoted is not None:
        display: str | None = unquote(f'"{quoted}"') if "\\" in quoted else quoted
    else:
        display = tokens or None
    if not rest:
        return NameAddr(uri_text, display, ())
    params = split_plain_params(rest) if plain else parse_param_text(rest, what=what)
    return NameAddr(uri_text, display, params)


def _parse_name_addr_checked(value: str, what: str) -> NameAddr:
    """parse_name_addr() without the one-match fast path (the reference it must agree with)."""
    match = _FAST_RE.fullmatch(value)
    if match is not None:
        return _from_match(match, value, what, False)
    match = _FAST_SPEC_RE.fullmatch(value)
    if match is not None and match[1] != "*":
        rest = match[2]
        return NameAddr(match[1], None, parse_param_text(rest, what=what) if rest else ())
    return _parse_slow(value, what)


def _parse_slow(value: str, what: str) -> NameAddr:
    text = value.strip()
    if text.startswith('"'):
        display, rest = _quoted_display(text)
        return _bracketed(rest, display, what)
    lt = text.find("<")
    if lt >= 0:
        display_text = text[:lt].strip()
        if display_text and _TOKENS_RE.fullmatch(display_text) is None:
            raise ParseError(f"bad display name in {what}")
        return _bracketed(text[lt:], display_text or None, what)
    return _addr_spec(text, what)


def _quoted_display(text: str) -> tuple[str, str]:
    end = skip_quoted(text, 0)
    return unquote(text[:end]), text[end:].lstrip()


def _bracketed(text: str, display: str | None, what: str) -> NameAddr:
    gt = text.find(">")
    if not text.startswith("<") or gt < 0:
        raise ParseError(f"malformed {what}")
    uri_text = text[1:gt]
    if _SCANNABLE_RE.fullmatch(uri_text) is None:
        raise ParseError(f"bad URI in {what}")
    return NameAddr(uri_text, display, _trailing_params(text[gt + 1 :], what))


def _addr_spec(text: str, what: str) -> NameAddr:
    uri_text, semi, rest = text.partition(";")
    uri_text = uri_text.strip()
    if uri_text == "*":
        return NameAddr("*", None, _trailing_params(semi + rest, what))
    if _SCANNABLE_RE.fullmatch(uri_text) is None or "?" in uri_text or "," in uri_text:
        raise ParseError(f"bad URI in {what}")
    return NameAddr(uri_text, None, _trailing_params(semi + rest, what))


def _trailing_params(rest: str, what: str) -> Params:
    rest = rest.strip()
    if not rest:
        return ()
    if not rest.startswith(";"):
        raise ParseError(f"junk after the address in {what}")
    return parse_param_text(rest, what=what)


def check_token_list(values: list[str], what: str) -> list[str]:
    """Validate option tags / methods (Supported, Require, Allow ...): each must be a token."""
    for value in values:
        if not is_token(value):
            raise ParseError(f"bad token in {what}")
    return values
