"""The Via header value (RFC 3261 §20.42, §18.2.1, RFC 3581 rport, RFC 5118 IPv6).

via-parm = sent-protocol LWS sent-by *( SEMI via-params ), where sent-protocol is
`name SLASH version SLASH transport` and SLASH allows whitespace around it (RFC 4475 wsinv).
"""

from __future__ import annotations

import re

from sipwarden.errors import ParseError
from sipwarden.sip.scan import (
    PLAIN_PARAMS,
    Params,
    format_params,
    has_param,
    is_host,
    is_token,
    param_value,
    parse_param_text,
    parse_port,
    scan_plain_params,
    split_plain_params,
)

BRANCH_COOKIE = "z9hG4bK"  # RFC 3261 §8.1.1.7
_UNSET = object()

# host[:port] made only of hostname/IPv4 characters: the usual shape, checked by a cheap regex.
_HOSTPORT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*(?::[0-9]{1,5})?")
# The whole via-parm in the shape nearly every UA sends, in one match: a strict subset of what
# the checks in parse_via() accept, with the same groups, so a miss just runs those checks.
_FAST_RE = re.compile(
    rf"SIP/2\.0/([A-Za-z]+) ([A-Za-z0-9][A-Za-z0-9.\-]*)(?::([0-9]{{1,5}}))?({PLAIN_PARAMS})"
)
_SLOW_RE = re.compile(
    r"([^\s/]+)\s*/\s*([^\s/]+)\s*/\s*([^\s/;]+)\s+(\[[^\]]*\]|[^\s:;]+)(?:\s*:\s*([^\s;]+))?\s*(;.*)?",
    re.DOTALL,
)


class Via:
    """One via-parm. `transport` is upper-cased; `host` keeps IPv6 brackets."""

    __slots__ = ("_branch", "_text", "host", "params", "port", "protocol", "transport")

    def __init__(
        self, transport: str, host: str, port: int | None, params: Params, protocol: str = "SIP/2.0"
    ) -> None:
        self.protocol = protocol
        self.transport = transport.upper()
        self.host = host
        self.port = port
        self.params = params
        self._branch: str | object | None = _UNSET
        self._text: str | None = None

    @property
    def branch(self) -> str | None:
        """The branch parameter (RFC 3261 §8.1.1.7), or None. Looked up once: transaction
        matching asks for it several times per message, and a Via is never edited in place."""
        branch = self._branch
        if branch is _UNSET:
            branch = self._branch = param_value(self.params, "branch")
        return branch  # type: ignore[return-value]

    @property
    def has_rfc3261_branch(self) -> bool:
        """True when the branch starts with the magic cookie and has something after it.

        A bare `z9hG4bK` (RFC 4475 badbranch) is treated as an RFC 2543 branch, so matching falls
        back to §17.1.3/§17.2.3's older rules instead of colliding with every other such Via.
        """
        branch = self.branch
        return branch is not None and len(branch) > 7 and branch.startswith(BRANCH_COOKIE)

    @property
    def received(self) -> str | None:
        """The received parameter (§18.2.1); brackets around an IPv6 value are removed."""
        value = param_value(self.params, "received")
        if value is not None and value.startswith("[") and value.endswith("]"):
            return value[1:-1]
        return value

    @property
    def rport(self) -> int | None:
        """The rport value (RFC 3581), or None when absent or valueless."""
        value = param_value(self.params, "rport")
        return None if value is None else parse_port(value)

    @property
    def wants_rport(self) -> bool:
        """True when the rport parameter is present, with or without a value (RFC 3581 §4)."""
        return has_param(self.params, "rport")

    @property
    def maddr(self) -> str | None:
        return param_value(self.params, "maddr")

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        """The canonical text (transport upper-cased, single space), rendered once: a Via is
        never edited in place, and equality, hashing and the proxy's loop hash (§16.6 step 8)
        all ask for it."""
        text = self._text
        if text is None:
            text = self._text = (
                f"{self.protocol}/{self.transport} {self.sent_by}{format_params(self.params)}"
            )
        return text

    def __repr__(self) -> str:
        return f"Via({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Via):
            return NotImplemented
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def parse_via(value: str) -> Via:
    """Parse one via-parm (already split from its list); ParseError on bad syntax."""
    via = _scan_via(value)
    if via is not None:
        return via
    return _parse_via_matched(value)


def _parse_via_matched(value: str) -> Via:
    """parse_via() without the scanner: the one-match regex path, then the checked one."""
    match = _FAST_RE.fullmatch(value)
    if match is not None:
        # Declared types, so compiled code calls int() and the string methods directly.
        transport: str
        host: str
        rest: str | None
        transport, host, _, rest = match.groups()
        port = _check_fast_match(match)
        return Via(transport, host, port, split_plain_params(rest) if rest else ())
    return _parse_via_checked(value)


def check_via(value: str) -> None:
    """Raise the ParseError parse_via(value) would raise, if any (a response's lower Vias are
    checked, not kept)."""
    if _scan_via(value) is not None:
        return
    match = _FAST_RE.fullmatch(value)
    if match is not None:
        _check_fast_match(match)
    else:
        _parse_via_checked(value)


def _scan_via(value: str) -> Via | None:
    """parse_via() for the shape nearly every UA sends, `SIP/2.0/UDP host[:port];plain=params`
    (host a name or IPv4 address), read by hand: `_FAST_RE`'s language minus IPv6 values in
    the parameters, with the same checks after it. None for anything else (the caller then
    takes the regex path, which gives the answer for it)."""
    if not value.startswith("SIP/2.0/"):
        return None
    space = value.find(" ", 8)
    if space <= 8:
        return None
    for i in range(8, space):
        c = ord(value[i]) | 32  # ASCII letters lower-cased
        if c < 97 or c > 122:
            return None
    n = len(value)
    start = space + 1
    end = start
    while end < n:
        c = ord(value[end])  # [A-Za-z0-9.-]: ASCII letters lower-cased by | 32
        if not (97 <= (c | 32) <= 122 or 48 <= c <= 57 or c == 45 or c == 46):
            break
        end += 1
    if end == start or ord(value[start]) in (45, 46):  # '-' or '.' cannot start it
        return None
    port: int | None = None
    i = end
    if i < n and ord(value[i]) == 58:  # ':'
        i += 1
        while i < n and 48 <= ord(value[i]) <= 57:
            i += 1
        if i == end + 1 or i - end > 6:
            return None
        port = int(value[end + 1 : i])
    params = scan_plain_params(value, i)
    if params is None:
        return None
    host = value[start:end]
    if ("-" in host or ".." in host) and not is_host(host):
        raise ParseError("bad Via host")
    if port is not None and port > 65535:
        raise ParseError("port out of range")
    return Via(value[8:space], host, port, params)


def _check_fast_match(match: re.Match[str]) -> int | None:
    """The checks a `_FAST_RE` match still needs (host labels, port range); returns the port."""
    host: str = match[2]
    port: str | None = match[3]
    if ("-" in host or ".." in host) and not is_host(host):
        raise ParseError("bad Via host")
    if port is None:
        return None
    port_number = int(port)
    if port_number > 65535:
        raise ParseError("port out of range")
    return port_number


def _parse_via_checked(value: str) -> Via:
    """parse_via() without the one-match fast path (the reference it must agree with)."""
    space = value.find(" ", 8)
    if value[:8] != "SIP/2.0/" or space < 0:
        return _parse_via_slow(value)
    semi = value.find(";", space)
    hostport = value[space + 1 : semi] if semi > 0 else value[space + 1 :]
    transport = value[8:space]
    if not transport.isalpha() or _HOSTPORT_RE.fullmatch(hostport) is None:
        return _parse_via_slow(value)
    host, colon, port = hostport.partition(":")
    if ("-" in host or ".." in host) and not is_host(host):
        raise ParseError("bad Via host")
    params = parse_param_text(value[semi:], what="Via") if semi > 0 else ()
    return Via(transport, host, parse_port(port) if colon else None, params)


def _parse_via_slow(value: str) -> Via:
    match = _SLOW_RE.fullmatch(value.strip())
    if match is None:
        raise ParseError("malformed Via")
    name, version, transport, host, port, rest = match.groups()
    if not (is_token(name) and is_token(version) and is_token(transport)):
        raise ParseError("malformed Via protocol")
    if not is_host(host):
        raise ParseError("bad Via host")
    params = parse_param_text(rest, what="Via") if rest else ()
    port_number = None if port is None else parse_port(port)
    return Via(transport, host, port_number, params, f"{name.upper()}/{version}")
