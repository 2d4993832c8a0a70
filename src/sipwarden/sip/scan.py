"""Low-level scanning shared by the header-value parsers (RFC 3261 §25.1).

Everything here works on already-decoded `str` values (the message layer decodes header bytes as
UTF-8 with `surrogateescape`, so any byte survives a round trip). Functions raise `ParseError` on
unbalanced quotes or brackets and never anything else.
"""

from __future__ import annotations

import re

from sipwarden.errors import ParseError

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")  (§25.1)
TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
# word additionally allows ( ) < > : \ " / [ ] ? { }  (§25.1, used by Call-ID)
WORD_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+")
_LWS_RE = re.compile(r"[ \t]+")


def is_token(text: str) -> bool:
    """True when `text` is a non-empty RFC 3261 token."""
    return TOKEN_RE.fullmatch(text) is not None


def split_outside(text: str, sep: str) -> list[str]:
    """Split `text` on `sep` where it is outside double quotes and angle brackets.

    Quoted strings honour quoted-pairs (`\\"`). Raises ParseError on an unclosed quote or `<`.
    The parts are returned unstripped.
    """
    if '"' not in text and "<" not in text:
        return text.split(sep)
    pattern = _SEPARATORS.get(sep)
    if pattern is None:
        raise ParseError("unsupported separator")
    parts: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        found = match.group()
        if found == sep:
            parts.append(text[start : match.start()])
            start = match.end()
        elif found[0] == '"' and not _closed(found):
            raise ParseError("unclosed quoted string")
        elif found[0] == "<" and found[-1] != ">":
            raise ParseError("unclosed '<'")
    parts.append(text[start:])
    return parts


def _closed(quoted: str) -> bool:
    """True when a quoted-string match really ends in an unescaped closing quote."""
    if len(quoted) < 2 or quoted[-1] != '"':
        return False
    run = len(quoted) - 1 - len(quoted[:-1].rstrip("\\"))
    return run % 2 == 0


# A quoted string or an angle-bracketed part (either possibly unclosed), or the separator.
_SEPARATORS: dict[str, re.Pattern[str]] = {
    sep: re.compile(r'"(?:[^"\\]|\\.)*"?|<[^>]*>?|' + re.escape(sep), re.DOTALL)
    for sep in (",", ";")
}


_QUOTED_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def skip_quoted(text: str, i: int) -> int:
    """Return the index just past the quoted string that opens at `text[i]`."""
    match = _QUOTED_RE.match(text, i)
    if match is None:
        raise ParseError("unclosed quoted string")
    return match.end()


def split_commas(text: str) -> list[str]:
    """Split a multi-valued header on commas outside quotes and `<...>`; drop nothing.

    Each part is stripped. Empty parts (`a,,b`) raise ParseError: RFC 3261 §7.3.1 lists are
    `value *(COMMA value)`.
    """
    if "," not in text:
        value = text.strip()
        if not value:
            raise ParseError("empty element in a comma-separated list")
        return [value]
    parts = [p.strip() for p in split_outside(text, ",")]
    if any(not p for p in parts):
        raise ParseError("empty element in a comma-separated list")
    return parts


def unquote(text: str) -> str:
    """Decode a quoted-string (with its quotes) into its content, resolving quoted-pairs."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ParseError("not a quoted string")
    inner = text[1:-1]
    if "\\" not in inner:
        if '"' in inner:
            raise ParseError("stray quote inside a quoted string")
        return inner
    out: list[str] = []
    i = 0
    n = len(inner)
    while i < n:
        ch = inner[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ParseError("dangling backslash in a quoted string")
            out.append(inner[i + 1])
            i += 2
            continue
        if ch == '"':
            raise ParseError("stray quote inside a quoted string")
        out.append(ch)
        i += 1
    return "".join(out)


def quote(text: str) -> str:
    """Encode `text` as a quoted-string, escaping backslash and double quote."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def collapse_lws(text: str) -> str:
    """Replace each run of spaces/tabs with one space (for values after unfolding)."""
    return _LWS_RE.sub(" ", text)


Params = tuple[tuple[str, str | None], ...]


_T = r"[A-Za-z0-9\-.!%*_+`'~]+"
_H = r"\[?[0-9A-Fa-f:.]+\]?"
# `;name[=value]` repeated, no whitespace and no quotes with commas/semicolons inside: the shape
# of nearly every real parameter list, validated in one C-level match.
# The same shape as pattern text, zero or more times, for the header fast paths to embed.
PLAIN_PARAMS = rf"(?:;{_T}(?:=(?:{_T}|{_H}))?)*"
_PLAIN_PARAMS_RE = re.compile(rf"(?:;{_T}(?:=(?:{_T}|{_H}))?)+")


# Hand-written scanners for the usual shapes (Via, name-addr, their parameters). Compiled by
# mypyc, `ord(text[i])` is a native read of one code point and the comparisons below are
# machine instructions, where a regex match costs thousands of instructions to set up. They
# accept a strict subset of what the regex fast paths accept and return None for anything
# else, so the callers fall back to those paths (tests/unit/test_scan_fast_paths.py).


def is_token_code(c: int) -> bool:
    """token character (§25.1): alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
    "'" / "~", given as a code point."""
    if c >= 97:
        return c <= 122 or c == 126
    if c >= 65:
        return c <= 90 or c == 95 or c == 96
    if c >= 48:
        return c <= 57
    return c == 45 or c == 46 or c == 33 or c == 37 or c == 42 or c == 43 or c == 39


def is_ascii_digits(text: str) -> bool:
    """`text.isdigit() and text.isascii()` (1*DIGIT, §25.1) without the generic method call
    `isascii()` costs compiled."""
    for i in range(len(text)):
        c = ord(text[i])
        if c < 48 or c > 57:
            return False
    return len(text) > 0


def token_end(text: str, i: int, end: int) -> int:
    """The index of the first non-token character of text[i:end], or `end`."""
    while i < end:
        # is_token_code() inlined: this loop reads every parameter character of a message.
        c = ord(text[i])
        if c >= 97:
            if c > 122 and c != 126:
                return i
        elif c >= 65:
            if c > 90 and c != 95 and c != 96:
                return i
        elif c >= 48:
            if c > 57:
                return i
        elif c != 45 and c != 46 and c != 33 and c != 37 and c != 42 and c != 43 and c != 39:
            return i
        i += 1
    return end


def scan_plain_params(text: str, start: int) -> Params | None:
    """The parameters text[start:] holds when each is `;token` or `;token=token` (no
    whitespace, quotes or host values): what `split_plain_params` gives for such text, without
    a regex match to check it first. None for any other text (the caller's general path then
    decides); () when text[start:] is empty."""
    n = len(text)
    if start >= n:
        return ()
    out: list[tuple[str, str | None]] = []
    i = start
    while i < n:
        if ord(text[i]) != 59:  # ';'
            return None
        i += 1
        j = token_end(text, i, n)
        if j == i:
            return None
        if j < n and ord(text[j]) == 61:  # '='
            k = token_end(text, j + 1, n)
            if k == j + 1:
                return None
            out.append((text[i:j], text[j + 1 : k]))
            i = k
        else:
            out.append((text[i:j], None))
            i = j
    return tuple(out)


def parse_param_text(text: str, *, what: str) -> Params:
    """Parse the parameter text that starts with ';' (as `;a=1;b`) into (name, value) pairs."""
    if _PLAIN_PARAMS_RE.fullmatch(text) is not None:
        return split_plain_params(text)
    return parse_params(split_outside(text[1:], ";"), what=what)


def split_plain_params(text: str) -> Params:
    """(name, value) pairs of a non-empty text already matched by PLAIN_PARAMS."""
    body = text[1:]
    if ";" not in body:
        name, eq, value = body.partition("=")
        return ((name, value if eq else None),)
    out: list[tuple[str, str | None]] = []
    for item in body.split(";"):
        name, eq, value = item.partition("=")
        out.append((name, value if eq else None))
    return tuple(out)


def parse_params(parts: list[str], *, what: str) -> Params:
    """Parse `;`-separated generic-params (already split) into (name, value) pairs.

    Names keep their case as written; values keep their quotes (use `unquote` where the header's
    grammar says the value is a quoted-string). `name` alone gives a value of None. An empty
    parameter (`;;`) or a non-token name raises ParseError naming `what`. Whitespace around
    names, '=' and values (LWS, §25.1) is removed.
    """
    out: list[tuple[str, str | None]] = []
    for raw in parts:
        name, eq, value = raw.partition("=")
        name = name.strip(" \t")
        if not is_token(name):
            raise ParseError(f"bad parameter in {what}")
        if not eq:
            out.append((name, None))
            continue
        value = value.strip(" \t")
        if not value or not (is_token(value) or _is_quoted(value) or _is_host_value(value)):
            raise ParseError(f"bad parameter value in {what}")
        out.append((name, value))
    return tuple(out)


def _is_quoted(value: str) -> bool:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            unquote(value)
        except ParseError:
            return False
        return True
    return False


_HOSTISH_RE = re.compile(_H)


def _is_host_value(value: str) -> bool:
    """gen-value may be a host: IPv6 addresses with or without brackets (RFC 5118 §4.5)."""
    return _HOSTISH_RE.fullmatch(value) is not None


def param_value(params: Params, name: str) -> str | None:
    """The value of the first parameter called `name` (case-insensitive); None if valueless."""
    lname = name.lower()
    for key, value in params:
        if key == lname or key.lower() == lname:  # the usual spelling first: no lower()
            return value
    return None


def has_param(params: Params, name: str) -> bool:
    """True when a parameter called `name` (case-insensitive) is present, with or without value."""
    lname = name.lower()
    return any(key.lower() == lname for key, _ in params)


def format_params(params: Params) -> str:
    """Serialize params back to `;name=value` text (values written as stored)."""
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params)


# host = hostname / IPv4address / IPv6reference (§25.1). The IPv6 check is deliberately permissive
# (hex digits, ':' and '.'): RFC 5118 §4.10 asks us to tolerate '[2001:db8:::192.0.2.1]'.
HOST_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?"
    r"|\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\]"
)


def is_host(text: str) -> bool:
    """True when `text` is a hostname, an IPv4 address or a bracketed IPv6 reference."""
    return HOST_RE.fullmatch(text) is not None


def parse_port(text: str) -> int:
    """Parse a port (1*DIGIT, at most 65535); ParseError otherwise."""
    if len(text) > 5 or not is_ascii_digits(text):
        raise ParseError("bad port")
    port = int(text)
    if port > 65535:
        raise ParseError("port out of range")
    return port
