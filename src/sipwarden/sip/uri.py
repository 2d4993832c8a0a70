"""SIP, SIPS, tel and other URIs (RFC 3261 §19.1 and §25.1, RFC 3966, RFC 5118).

How this works: `parse_uri` first tries one compiled regex for the common SIP shape (no escapes,
no password, no headers, a plain hostname or IPv4 address, simple parameters). Anything else goes
through a slower scanner that cuts the text where the §25.1 grammar makes the cut unambiguous and
checks each component against its own character set:

- '@' may appear only at the end of the userinfo (no other component allows it unescaped), so the
  first '@' ends the userinfo even though the user part may hold ';', '?' and '/' (RFC 4475
  3.1.1.2 and 3.1.1.9);
- after the host, the first '?' starts the headers and the first ';' starts the uri-parameters.

Both paths keep the parsed text, so `str()` of an unchanged URI is exactly its input. URIs built or
changed in code are rendered canonically and then re-parsed, so every URI object is one the parser
accepts. Escapes (`%HH`) are decoded exactly once, as UTF-8 with `surrogateescape` like the rest of
the message layer, so any byte (even %00) survives a round trip.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from typing import Literal, TypeAlias, TypeVar
from urllib.parse import quote, unquote

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.scan import Params, format_params, parse_port

_T = TypeVar("_T")
Headers: TypeAlias = tuple[tuple[str, str], ...]

# --- Character sets, RFC 3261 §25.1 --------------------------------------------------------------
# unreserved = alphanum / mark;  mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
_UNRESERVED = r"A-Za-z0-9\-_.!~*'()"
# user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = & = + $ , ; ? /
_USER_RE = re.compile(rf"[{_UNRESERVED}&=+$,;?/%]+")
# password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
_PASSWORD_RE = re.compile(rf"[{_UNRESERVED}&=+$,%]*")
# pname / pvalue = 1*paramchar; paramchar = param-unreserved / unreserved / escaped
_PARAMCHARS_RE = re.compile(rf"[{_UNRESERVED}\[\]/:&+$%]+")
# hname = 1*( hnv-unreserved / unreserved / escaped ); hvalue = *( ... ); hnv-unreserved = []/?:+$
_HNV_RE = re.compile(rf"[{_UNRESERVED}\[\]/?:+$%]*")
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NOT_VISIBLE_RE = re.compile(r"[^\x21-\x7e]")

# What `quote` may leave as is when rendering (it always keeps alphanumerics and "_.-~").
_MARK = "-_.!~*'()"
_USER_SAFE = _MARK + "&=+$,;?/"
_PASSWORD_SAFE = _MARK + "&=+$,"
_HNV_SAFE = _MARK + "[]/?:+$"

# --- Hosts, RFC 3261 §25.1 and RFC 5118 ----------------------------------------------------------
# hostname = *( domainlabel "." ) toplabel [ "." ]. Tolerated: a toplabel starting with a digit.
# Labels are matched possessively, so only the label count can backtrack (linear time).
_HOSTNAME_RE = re.compile(
    r"(?:[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+\.)*[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+\.?"
)
# A host made of digits and dots only is an IPv4address, never a hostname.
_DIGITS_DOTS_RE = re.compile(r"[0-9.]+")
# IPv6reference: deliberately permissive (an empty group may repeat), because RFC 5118 §4.10 asks
# receivers to tolerate "[2001:db8:::192.0.2.1]"; still only hex, ':' and a dotted IPv4 tail.
_IPV6_REFERENCE_RE = re.compile(
    r"\[(?:[0-9A-Fa-f]{0,4}:){2,8}(?:[0-9A-Fa-f]{0,4}|[0-9]{1,3}(?:\.[0-9]{1,3}){3})\]"
)

# --- Fast path: the common shape, no escapes (so nothing to decode) ------------------------------
# Possessive quantifiers keep it from backtracking; whatever it does not match (a trailing dot, an
# escape, a password, headers, IPv6...) goes to the exact scanner, which has the last word.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_FAST_SIP_RE = re.compile(
    r"(sips?):"
    r"(?:([A-Za-z0-9\-_.!~*'()&=+$,]++)@)?"
    rf"((?:{_OCTET}\.){{3}}{_OCTET}"
    r"|(?:[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+\.)*+[A-Za-z][A-Za-z0-9]*+(?:-++[A-Za-z0-9]++)*+)"
    r"(?::([0-9]{1,5}))?"
    r"((?:;[A-Za-z0-9\-_.!~*'()]++(?:=[A-Za-z0-9\-_.!~*'()]++)?)*+)"
)

# --- Schemes and other URIs, RFC 3261 §25.1 (absoluteURI, from RFC 2396) ------------------------
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_SIP_SCHEMES = frozenset({"sip", "sips"})
# uric plus '#', '[' and ']' (fragments and RFC 2732 IPv6 literals are common in the wild).
_OPAQUE_RE = re.compile(rf"[{_UNRESERVED};/?:@&=+$,%#\[\]]+")

# --- tel URIs, RFC 3966 §3 ------------------------------------------------------------------------
# global-number-digits = "+" *phonedigit DIGIT *phonedigit (written so it cannot backtrack).
_GLOBAL_NUMBER_RE = re.compile(r"\+[().\-]*[0-9][0-9().\-]*")
# local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
_LOCAL_NUMBER_RE = re.compile(r"[().\-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().\-]*")
_TEL_PNAME_RE = re.compile(r"[A-Za-z0-9\-]+")
_EXTENSION_RE = re.compile(r"[0-9().\-]+")
_ISUB_RE = re.compile(rf"[{_UNRESERVED}/?:@&=+$,%]+")  # 1*uric, less ';' which ends the param
_TEL_VALUED = frozenset({"phone-context", "ext", "isub"})
_VISUAL_SEPARATORS = str.maketrans("", "", "-.()")

# uri-parameters that must match whenever either URI has them (RFC 3261 §19.1.4).
_ALWAYS_COMPARED = ("user", "ttl", "method", "maddr", "transport")


class _Keep(enum.Enum):
    """Marker for "leave this field as it is" in `SipUri.replace`."""

    KEEP = enum.auto()


def _pick(new: _T | _Keep, old: _T) -> _T:
    return old if isinstance(new, _Keep) else new


def _unescape(text: str) -> str:
    """Decode each %HH exactly once (RFC 3261 §19.1.2): UTF-8, bad bytes kept by surrogateescape."""
    if "%" not in text:
        return text
    return unquote(text, errors="surrogateescape")


def _escape(text: str, safe: str) -> str:
    """Escape everything but unreserved and `safe` characters (RFC 3261 §19.1.2)."""
    try:
        return quote(text, safe=safe, errors="surrogateescape")
    except UnicodeEncodeError as exc:
        raise LocalError("text cannot be encoded in a URI") from exc


def _check_component(raw: str, charset: re.Pattern[str], what: str) -> None:
    """ParseError unless `raw` is made of `charset` characters and well-formed escapes."""
    if charset.fullmatch(raw) is None:
        raise ParseError(f"bad {what} in SIP URI")
    if "%" in raw and _BAD_ESCAPE_RE.search(raw) is not None:
        raise ParseError(f"bad % escape in {what} of SIP URI")


class SipUri:
    """A SIP or SIPS URI (RFC 3261 §19.1.1); immutable and hashable.

    `user`, `password` and header values are unescaped; `params` are kept as written. Equality
    follows RFC 3261 §19.1.4, so it is not transitive: a parameter present on one side only is
    ignored, except `user`, `ttl`, `method`, `maddr` and `transport`. Build one with
    `parse_uri`/`parse_sip_uri`, or from parts with `SipUri(host=...)` (LocalError on bad parts).
    """

    __slots__ = (
        "_cmp",
        "_headers",
        "_host",
        "_params",
        "_password",
        "_port",
        "_scheme",
        "_text",
        "_user",
    )

    def __init__(
        self,
        *,
        host: str,
        scheme: str = "sip",
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        params: Params = (),
        headers: Headers = (),
        _text: str | None = None,
    ) -> None:
        if _text is None:
            # From parts: render, parse back and insist on the same parts (LocalError if not).
            fields = (scheme.lower(), user, password, host, port, tuple(params), tuple(headers))
            _text = _render_sip(*fields)
            try:
                parsed = parse_uri(_text)
            except ParseError as exc:
                raise LocalError(f"invalid SIP URI part: {exc.reason}") from exc
            if not isinstance(parsed, SipUri) or parsed._fields() != fields:
                raise LocalError(f"invalid SIP URI part (would read back as {_text!r})")
            scheme, params, headers = fields[0], fields[5], fields[6]
        # With `_text` (the parser's path) the parts are already validated and match the text.
        # One constructor with a private keyword rather than object.__new__ + an init method:
        # mypyc-compiled classes cannot be created without their __init__.
        self._text = _text
        self._scheme = scheme
        self._user = user
        self._password = password
        self._host = host
        self._port = port
        self._params = params
        self._headers = headers
        self._cmp: tuple[tuple[object, ...], dict[str, str | None]] | None = None

    def _fields(self) -> tuple[object, ...]:
        return (
            self._scheme,
            self._user,
            self._password,
            self._host,
            self._port,
            self._params,
            self._headers,
        )

    @property
    def scheme(self) -> str:
        """ "sip" or "sips", lower-cased (schemes are case-insensitive, RFC 3261 §19.1.4)."""
        return self._scheme

    @property
    def user(self) -> str | None:
        """The user part, unescaped (RFC 3261 §19.1.1, §19.1.2); None when there is no userinfo."""
        return self._user

    @property
    def password(self) -> str | None:
        """The password, unescaped (RFC 3261 §19.1.1; its use is NOT RECOMMENDED)."""
        return self._password

    @property
    def host(self) -> str:
        """The host as written; IPv6 references keep their brackets (RFC 3261 §19.1.1)."""
        return self._host

    @property
    def port(self) -> int | None:
        """The port, or None when absent (which is not the same as 5060, RFC 3261 §19.1.4)."""
        return self._port

    @property
    def params(self) -> Params:
        """uri-parameters as written, escapes included (RFC 3261 §19.1.1)."""
        return self._params

    @property
    def headers(self) -> Headers:
        """Headers (`?name=value&...`) as (name, value), both unescaped (RFC 3261 §19.1.1)."""
        return self._headers

    @property
    def secure(self) -> bool:
        """True for a SIPS URI (RFC 3261 §19.1)."""
        return self._scheme == "sips"

    @property
    def host_kind(self) -> Literal["ipv4", "ipv6", "domain"]:
        """Which §25.1 `host` alternative this is: IPv4address, IPv6reference or hostname."""
        if self._host[0] == "[":
            return "ipv6"
        if _DIGITS_DOTS_RE.fullmatch(self._host) is not None:
            return "ipv4"
        return "domain"

    def param(self, name: str) -> str | None:
        """The unescaped value of uri-parameter `name` (case-insensitive); None if valueless/absent.

        Escaped parameter names match too (`;%6C%72` is `lr`, RFC 4475 §3.1.1.3).
        """
        lname = name.lower()
        for key, value in self._params:
            if _unescape(key).lower() == lname:
                return None if value is None else _unescape(value)
        return None

    def has_param(self, name: str) -> bool:
        """True when uri-parameter `name` (case-insensitive) is present, with or without a value."""
        lname = name.lower()
        return any(_unescape(key).lower() == lname for key, _ in self._params)

    @property
    def transport(self) -> str | None:
        """The `transport` parameter, lower-cased (RFC 3261 §19.1.1, §19.1.4)."""
        value = self.param("transport")
        return None if value is None else value.lower()

    @property
    def maddr(self) -> str | None:
        """The `maddr` parameter: a host, validated when parsed (RFC 3261 §19.1.1)."""
        return self.param("maddr")

    @property
    def ttl(self) -> int | None:
        """The `ttl` parameter, 0 to 255, validated when parsed (RFC 3261 §25.1 ttl)."""
        value = self.param("ttl")
        return None if value is None else int(value)

    @property
    def method(self) -> str | None:
        """The `method` parameter, as written: methods are case-sensitive (RFC 3261 §7.1)."""
        return self.param("method")

    @property
    def user_param(self) -> str | None:
        """The `user` parameter ("phone", "ip", ...), lower-cased (RFC 3261 §19.1.1)."""
        value = self.param("user")
        return None if value is None else value.lower()

    @property
    def lr(self) -> bool:
        """True when the `lr` (loose routing) parameter is present (RFC 3261 §19.1.1, §16.4)."""
        return self.has_param("lr")

    def replace(
        self,
        *,
        scheme: str | _Keep = _Keep.KEEP,
        user: str | _Keep | None = _Keep.KEEP,
        password: str | _Keep | None = _Keep.KEEP,
        host: str | _Keep = _Keep.KEEP,
        port: int | _Keep | None = _Keep.KEEP,
        params: Params | _Keep = _Keep.KEEP,
        headers: Headers | _Keep = _Keep.KEEP,
    ) -> SipUri:
        """A new URI with the given fields changed, rendered canonically (RFC 3261 §19.1.2).

        `user`, `password` and header values are given unescaped; `params` as written. Raises
        LocalError when a field cannot be represented (for instance a host with a ';').
        """
        changes = (scheme, user, password, host, port, params, headers)
        if all(isinstance(change, _Keep) for change in changes):
            return self
        return SipUri(
            scheme=_pick(scheme, self._scheme),
            user=_pick(user, self._user),
            password=_pick(password, self._password),
            host=_pick(host, self._host),
            port=_pick(port, self._port),
            params=_pick(params, self._params),
            headers=_pick(headers, self._headers),
        )

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"SipUri({self._text!r})"

    def _keys(self) -> tuple[tuple[object, ...], dict[str, str | None]]:
        if self._cmp is None:
            self._cmp = _sip_keys(self)
        return self._cmp

    def __eq__(self, other: object) -> bool:
        """RFC 3261 §19.1.4 URI comparison."""
        if not isinstance(other, SipUri):
            return NotImplemented
        base, others = self._keys()
        other_base, other_others = other._keys()
        if base != other_base:
            return False
        return all(
            other_others[name] == value for name, value in others.items() if name in other_others
        )

    def __hash__(self) -> int:
        # Only the parts that must always match, so equal URIs hash alike.
        return hash(self._keys()[0])


def _sip_keys(uri: SipUri) -> tuple[tuple[object, ...], dict[str, str | None]]:
    """Comparison keys per RFC 3261 §19.1.4: the always-compared part and the other parameters.

    Userinfo is case-sensitive, everything else case-insensitive, all after unescaping; header
    and parameter order does not matter.
    """
    others: dict[str, str | None] = {}
    for name, value in uri.params:
        lname = _unescape(name).lower()
        others.setdefault(lname, None if value is None else _unescape(value).lower())
    always = tuple(_always_key(name, others) for name in _ALWAYS_COMPARED)
    headers = tuple(sorted((name.lower(), value) for name, value in uri.headers))
    base = (uri.scheme, uri.user, uri.password, _host_key(uri.host), uri.port, always, headers)
    return base, others


def _always_key(name: str, params: dict[str, str | None]) -> tuple[bool, str | None]:
    """(present, normalized value) for a parameter compared even when one side lacks it."""
    if name not in params:
        return False, None
    value = params.pop(name)
    if value is not None and name == "ttl":
        value = str(int(value))
    elif value is not None and name == "maddr":
        value = _host_key(value)
    return True, value


def _host_key(host: str) -> str:
    """The host for comparison: case-insensitive, IP addresses in one canonical spelling."""
    host = host.lower()
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:  # the tolerated RFC 5118 §4.10 spellings
            return host
    if _DIGITS_DOTS_RE.fullmatch(host) is not None:
        return ".".join(str(int(octet)) for octet in host.split("."))
    return host


def _render_sip(
    scheme: str,
    user: str | None,
    password: str | None,
    host: str,
    port: int | None,
    params: Params,
    headers: Headers,
) -> str:
    """Canonical text for SIP URI parts, escaping what §25.1 requires (RFC 3261 §19.1.2)."""
    userinfo = _render_userinfo(user, password)
    hostport = host if port is None else f"{host}:{port}"
    text = f"{scheme}:{userinfo}{hostport}{format_params(params)}"
    if headers:
        pairs = (f"{_escape(n, _HNV_SAFE)}={_escape(v, _HNV_SAFE)}" for n, v in headers)
        text += "?" + "&".join(pairs)
    return text


def _render_userinfo(user: str | None, password: str | None) -> str:
    if user is None:
        if password is not None:
            raise LocalError("a SIP URI password needs a user")
        return ""
    if password is None:
        return _escape(user, _USER_SAFE) + "@"
    return f"{_escape(user, _USER_SAFE)}:{_escape(password, _PASSWORD_SAFE)}@"


class TelUri:
    """A tel URI (RFC 3966); immutable and hashable, compared per RFC 3966 §4.

    `number` is as written, visual separators included; `params` as written. Build one with
    `parse_uri`, or with `TelUri(number, params)` (LocalError on bad parts).
    """

    __slots__ = ("_cmp", "_number", "_params", "_text")

    def __init__(self, number: str, params: Params = (), *, _text: str | None = None) -> None:
        if _text is None:  # from parts (see SipUri.__init__)
            params = tuple(params)
            _text = f"tel:{number}{format_params(params)}"
            try:
                parsed = _parse_tel(_text, _text[4:])
            except ParseError as exc:
                raise LocalError(f"invalid tel URI part: {exc.reason}") from exc
            if (parsed.number, parsed.params) != (number, params):
                raise LocalError(f"invalid tel URI part (would read back as {_text!r})")
        self._text = _text
        self._number = number
        self._params = params
        self._cmp: tuple[object, ...] | None = None

    @property
    def scheme(self) -> str:
        """Always "tel"."""
        return "tel"

    @property
    def number(self) -> str:
        """The telephone number as written, visual separators included (RFC 3966 §3)."""
        return self._number

    @property
    def params(self) -> Params:
        """Parameters as written, including isub, ext and phone-context (RFC 3966 §3)."""
        return self._params

    @property
    def is_global(self) -> bool:
        """True for a global number, which starts with '+' (RFC 3966 §5.1.4)."""
        return self._number.startswith("+")

    def normalized(self) -> str:
        """The number without visual separators "-", ".", "(" and ")" (RFC 3966 §5.1.1)."""
        return self._number.translate(_VISUAL_SEPARATORS)

    @property
    def phone_context(self) -> str | None:
        """The phone-context descriptor, present on every local number (RFC 3966 §5.1.5)."""
        return self.param("phone-context")

    def param(self, name: str) -> str | None:
        """The unescaped value of parameter `name` (case-insensitive); None if valueless/absent."""
        lname = name.lower()
        for key, value in self._params:
            if key.lower() == lname:
                return None if value is None else _unescape(value)
        return None

    def has_param(self, name: str) -> bool:
        """True when parameter `name` (case-insensitive) is present."""
        lname = name.lower()
        return any(key.lower() == lname for key, _ in self._params)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"TelUri({self._text!r})"

    def _key(self) -> tuple[object, ...]:
        if self._cmp is None:
            params = frozenset((n.lower(), _tel_param_key(n.lower(), v)) for n, v in self._params)
            self._cmp = (self.is_global, self.normalized().lower(), params)
        return self._cmp

    def __eq__(self, other: object) -> bool:
        """RFC 3966 §4: case-insensitive, visual separators ignored, same parameter set."""
        if not isinstance(other, TelUri):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def _tel_param_key(lname: str, value: str | None) -> str | None:
    """A tel parameter value for comparison (RFC 3966 §4)."""
    if value is None:
        return None
    if lname == "ext" or (lname == "phone-context" and value.startswith("+")):
        value = value.translate(_VISUAL_SEPARATORS)
    return _unescape(value).lower()


class AbsoluteUri:
    """A URI of any other scheme (RFC 3261 §25.1 absoluteURI), kept opaque.

    Equal when the schemes match case-insensitively and the rest matches exactly.
    """

    __slots__ = ("_opaque", "_scheme", "_text")

    def __init__(self, scheme: str, opaque: str, *, _text: str | None = None) -> None:
        if _text is None:  # from parts (see SipUri.__init__)
            _text = f"{scheme}:{opaque}"
            try:
                parsed = parse_uri(_text)
            except ParseError as exc:
                raise LocalError(f"invalid URI: {exc.reason}") from exc
            if not isinstance(parsed, AbsoluteUri) or parsed.opaque != opaque:
                raise LocalError(f"not an opaque URI: {_text!r}")
        self._text = _text
        self._scheme = scheme.lower()
        self._opaque = opaque

    @property
    def scheme(self) -> str:
        """The scheme, lower-cased (RFC 2396 §3.1: schemes are case-insensitive)."""
        return self._scheme

    @property
    def opaque(self) -> str:
        """Everything after the first ':', as written."""
        return self._opaque

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"AbsoluteUri({self._text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AbsoluteUri):
            return NotImplemented
        return (self._scheme, self._opaque) == (other._scheme, other._opaque)

    def __hash__(self) -> int:
        return hash((self._scheme, self._opaque))


Uri: TypeAlias = SipUri | TelUri | AbsoluteUri


# URIs parsed lately, by their text. The same few URIs come back in message after message (the
# From and To of every message of a dialog, an AOR in each of its REGISTERs, a Request-URI per
# destination), and a URI is immutable, so one parse can serve them all: a lookup instead of a
# regex match (thousands of instructions) and the objects it builds. Bounded in entries (emptied
# when full, so a flood of distinct URIs costs one insert each) and in size (only short texts).
_PARSED: dict[str, Uri] = {}
PARSED_CACHE_SIZE = 2048
PARSED_CACHE_MAX_TEXT = 256


def parse_uri(text: str) -> Uri:
    """Parse a SIP/SIPS (RFC 3261 §19.1), tel (RFC 3966) or other (§25.1 absoluteURI) URI.

    Raises ParseError (status 400) on anything malformed and never any other exception.
    """
    uri = _PARSED.get(text)
    if uri is None:
        uri = _parse_uri(text)
        if len(text) <= PARSED_CACHE_MAX_TEXT:
            if len(_PARSED) >= PARSED_CACHE_SIZE:
                _PARSED.clear()
            _PARSED[text] = uri
    return uri


def _parse_uri(text: str) -> Uri:
    """parse_uri() without the cache."""
    match = _FAST_SIP_RE.fullmatch(text)
    if match is not None:
        return _from_fast_match(text, match)
    if _NOT_VISIBLE_RE.search(text) is not None:
        raise ParseError("whitespace, control or non-ASCII character in URI")
    if text.startswith("<"):
        raise ParseError("URI enclosed in angle brackets")
    scheme, colon, rest = text.partition(":")
    if not colon or _SCHEME_RE.fullmatch(scheme) is None:
        raise ParseError("missing or malformed URI scheme")
    lower = scheme.lower()
    if lower in _SIP_SCHEMES:
        return _parse_sip(text, lower, rest)
    if lower == "tel":
        return _parse_tel(text, rest)
    if _OPAQUE_RE.fullmatch(rest) is None:
        raise ParseError("empty or malformed URI after the scheme")
    return AbsoluteUri(lower, rest, _text=text)


def parse_sip_uri(text: str) -> SipUri:
    """Parse a SIP or SIPS URI; any other valid scheme is ParseError 416 (RFC 3261 §8.2.2.1)."""
    uri = parse_uri(text)
    if not isinstance(uri, SipUri):
        raise ParseError("unsupported URI scheme", 416)
    return uri


def _from_fast_match(text: str, match: re.Match[str]) -> SipUri:
    """Build a SipUri from a `_FAST_SIP_RE` match: nothing is escaped, so nothing to decode."""
    # Declared types, so compiled code calls int() and the string methods directly.
    scheme: str
    user: str | None
    host: str
    port_text: str | None
    param_text: str | None
    scheme, user, host, port_text, param_text = match.groups()
    port = None
    if port_text is not None:
        port = int(port_text)
        if port > 65535:
            raise ParseError("port out of range")
    params = _split_plain_params(param_text[1:]) if param_text else ()
    return SipUri(scheme=scheme, user=user, host=host, port=port, params=params, _text=text)


def _split_plain_params(text: str) -> Params:
    """Split fast-path parameters (already checked by the regex, no escapes)."""
    out: list[tuple[str, str | None]] = []
    for raw in text.split(";"):
        name, eq, value = raw.partition("=")
        out.append((name, value if eq else None))
    params = tuple(out)
    lowered = text.lower()
    if "ttl" in lowered or "maddr" in lowered:  # a cheap pre-filter; the check is exact
        _check_special_params(params)
    return params


def _parse_sip(text: str, scheme: str, rest: str) -> SipUri:
    """The exact SIP-URI / SIPS-URI grammar (RFC 3261 §25.1) after "sip:" or "sips:"."""
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        user, password = _parse_userinfo(rest[:at])
        rest = rest[at + 1 :]
    rest, qmark, header_text = rest.partition("?")
    headers = _parse_headers(header_text) if qmark else ()
    hostport, semi, param_text = rest.partition(";")
    params = _parse_uri_params(param_text) if semi else ()
    host, port = _parse_hostport(hostport)
    return SipUri(
        scheme=scheme,
        user=user,
        password=password,
        host=host,
        port=port,
        params=params,
        headers=headers,
        _text=text,
    )


def _parse_userinfo(text: str) -> tuple[str, str | None]:
    """userinfo = user [ ":" password ] "@"; ':' cannot occur in either part unescaped."""
    user, colon, password = text.partition(":")
    if not user:
        raise ParseError("empty user part in SIP URI")
    _check_component(user, _USER_RE, "user part")
    if not colon:
        return _unescape(user), None
    _check_component(password, _PASSWORD_RE, "password")
    return _unescape(user), _unescape(password)


def _parse_hostport(text: str) -> tuple[str, int | None]:
    """hostport = host [ ":" port ]; an IPv6 address must be bracketed (RFC 5118 §4.2)."""
    if text.startswith("["):
        close = text.find("]") + 1
        host, after = text[:close], text[close:]
        if not close or (after and after[0] != ":"):
            raise ParseError("malformed IPv6 reference in SIP URI")
        port_text = after[1:] if after else None
    else:
        if text.count(":") > 1:
            raise ParseError("IPv6 address without brackets in SIP URI")
        host, colon, port_text = text.partition(":")
        port_text = port_text if colon else None
    _check_host(host)
    return host, (None if port_text is None else parse_port(port_text))


def _check_host(host: str) -> None:
    """ParseError unless `host` is a hostname, IPv4address or IPv6reference (RFC 3261 §25.1).

    Tolerated: labels (even the last) starting with a digit, and the RFC 5118 §4.10 IPv6 forms.
    Rejected: '_' and other characters outside the grammar, IPv4 octets above 255.
    """
    if not host:
        raise ParseError("empty host in SIP URI")
    if host[0] == "[":
        if _IPV6_REFERENCE_RE.fullmatch(host) is None:
            raise ParseError("malformed IPv6 reference in SIP URI")
    elif _DIGITS_DOTS_RE.fullmatch(host) is not None:
        _check_ipv4(host)
    elif _HOSTNAME_RE.fullmatch(host) is None:
        raise ParseError("malformed host in SIP URI")


def _check_ipv4(host: str) -> None:
    """IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255."""
    octets = host.split(".")
    if len(octets) != 4 or not all(0 < len(o) <= 3 and int(o) <= 255 for o in octets):
        raise ParseError("malformed IPv4 address in SIP URI")


def _parse_uri_params(text: str) -> Params:
    """uri-parameters = *( ";" uri-parameter ), other-param = pname [ "=" pvalue ] (§25.1)."""
    params = tuple(_parse_uri_param(raw) for raw in text.split(";"))
    _check_special_params(params)
    return params


def _parse_uri_param(raw: str) -> tuple[str, str | None]:
    name, eq, value = raw.partition("=")
    _check_component(name, _PARAMCHARS_RE, "parameter name")
    if not eq:
        return name, None
    _check_component(value, _PARAMCHARS_RE, "parameter value")
    return name, value


def _check_special_params(params: Params) -> None:
    """Values the typed properties rely on: ttl is 0..255, maddr a host (RFC 3261 §25.1)."""
    for name, value in params:
        lname = _unescape(name).lower()
        if lname == "ttl":
            ttl = _unescape(value or "")
            if not (ttl.isascii() and ttl.isdigit() and len(ttl) <= 3 and int(ttl) <= 255):
                raise ParseError("bad ttl parameter in SIP URI")
        elif lname == "maddr":
            _check_host(_unescape(value or ""))


def _parse_headers(text: str) -> Headers:
    """headers = "?" header *( "&" header ); header = hname "=" hvalue (RFC 3261 §25.1)."""
    return tuple(_parse_header(raw) for raw in text.split("&"))


def _parse_header(raw: str) -> tuple[str, str]:
    name, eq, value = raw.partition("=")
    if not name or not eq:
        raise ParseError("malformed header in SIP URI")
    _check_component(name, _HNV_RE, "header name")
    _check_component(value, _HNV_RE, "header value")
    return _unescape(name), _unescape(value)


def _parse_tel(text: str, rest: str) -> TelUri:
    """telephone-uri = "tel:" telephone-subscriber (RFC 3966 §3)."""
    number, *raw_params = rest.split(";")
    is_global = number.startswith("+")
    digits_re = _GLOBAL_NUMBER_RE if is_global else _LOCAL_NUMBER_RE
    if digits_re.fullmatch(number) is None:
        raise ParseError("malformed telephone number in tel URI")
    params = tuple(_parse_tel_param(raw) for raw in raw_params)
    names = [name.lower() for name, _ in params]
    if len(set(names)) != len(names):
        raise ParseError("repeated parameter in tel URI")  # RFC 3966 §3: at most once each
    if not is_global and "phone-context" not in names:
        raise ParseError("local number without phone-context in tel URI")  # RFC 3966 §5.1.5
    return TelUri(number, params, _text=text)


def _parse_tel_param(raw: str) -> tuple[str, str | None]:
    """par = parameter / extension / isdn-subaddress, plus context (RFC 3966 §3)."""
    name, eq, value = raw.partition("=")
    if _TEL_PNAME_RE.fullmatch(name) is None:
        raise ParseError("bad parameter name in tel URI")
    lname = name.lower()
    if not eq:
        if lname in _TEL_VALUED:
            raise ParseError(f"{lname} without a value in tel URI")
        return name, None
    if not _tel_value_ok(lname, value):
        raise ParseError(f"bad {lname} value in tel URI")
    return name, value


def _tel_value_ok(lname: str, value: str) -> bool:
    """descriptor = domainname / global-number-digits; ext = 1*phonedigit; isub = 1*uric."""
    if lname == "phone-context":
        return bool(_GLOBAL_NUMBER_RE.fullmatch(value) or _HOSTNAME_RE.fullmatch(value))
    charset = _EXTENSION_RE if lname == "ext" else _ISUB_RE if lname == "isub" else _PARAMCHARS_RE
    return charset.fullmatch(value) is not None and _BAD_ESCAPE_RE.search(value) is None
