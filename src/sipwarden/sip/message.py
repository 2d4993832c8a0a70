"""SIP requests and responses as kept bytes plus lazily parsed, typed views (RFC 3261 §7).

How this works: the parser keeps every header line as the exact bytes it received (folded lines
included) next to a lower-cased key ("via", "call-id"). Nothing in a header value is decoded until
someone asks, and a parsed view is cached until the next edit. Edits replace, insert or delete
whole lines, so `serialize()` is a join of lines that were never touched plus the few that were,
and an unmodified message serializes to exactly the bytes it came from. Content-Length is kept
right by every body edit and added on serialization when a message that lacked it was edited.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.address import (
    NameAddr,
    check_token_list,
    parse_delta_seconds,
    parse_name_addr,
)
from sipwarden.sip.digest import Challenge, Credentials, parse_challenge, parse_credentials
from sipwarden.sip.names import LIST_HEADERS, SINGLE_HEADERS, canonical, key_of
from sipwarden.sip.scan import split_commas
from sipwarden.sip.uri import SipUri, Uri, parse_uri
from sipwarden.sip.values import (
    COMMON_METHODS,
    ContentType,
    CSeq,
    RetryAfter,
    parse_content_type,
    parse_cseq,
    parse_max_forwards,
    parse_retry_after,
)
from sipwarden.sip.via import Via, check_via, parse_via

CRLF = b"\r\n"


def append_header_lines(
    keys: list[str],
    lines: list[bytes],
    headers: Iterable[tuple[str, str]],
    body: bytes,
    content_type: str | None,
) -> None:
    """Append `headers` (canonical spelling), Content-Type when given, and the body's true
    Content-Length; a Content-Length among `headers` is ignored so there is never a second one."""
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


# Parsed views are cached in `Message._cache` under "<header key>/<accessor>" until an edit of
# that header: `Message._touch(key)` drops the slots listed here for the key. Each accessor reads
# and fills its slot itself (plain properties rather than a caching descriptor: they compile
# with mypyc, and cost one call either way).
CACHE_SLOTS: dict[str, tuple[str, ...]] = {
    "via": ("via/vias", "via/top_via"),
    "from": ("from/from_",),
    "to": ("to/to",),
    "call-id": ("call-id/call_id",),
    "cseq": ("cseq/cseq",),
    "max-forwards": ("max-forwards/max_forwards",),
    "contact": ("contact/contacts",),
    "route": ("route/routes",),
    "record-route": ("record-route/record_routes",),
    "path": ("path/paths",),
    "expires": ("expires/expires",),
    "min-expires": ("min-expires/min_expires",),
    "www-authenticate": ("www-authenticate/www_authenticate",),
    "proxy-authenticate": ("proxy-authenticate/proxy_authenticate",),
    "authorization": ("authorization/authorization",),
    "proxy-authorization": ("proxy-authorization/proxy_authorization",),
    "content-type": ("content-type/content_type",),
    "ruri": ("ruri/uri",),
}


# Methods defined by RFC 3261 and its extensions; a request with one of these that disagrees with
# its CSeq method is malformed (400); with any other method the answer is 501 (RFC 4475 §3.1.2.16).
KNOWN_METHODS = COMMON_METHODS


def unfold(value: bytes) -> bytes:
    """Replace each folding (LWS around a line break, §7.3.1) by one space, in linear time:
    a regex like `[ \\t]*\\r?\\n[ \\t]+` backtracks quadratically over long blank runs."""
    pieces = value.split(b"\n")  # callers pass only values that contain a line break
    middle = [piece.strip(b" \t\r") for piece in pieces[1:-1]]
    return b" ".join([pieces[0].rstrip(b" \t\r"), *middle, pieces[-1].lstrip(b" \t")])


def decode_value(line: bytes) -> str:
    """The value of a raw header line: after the colon, unfolded, stripped, decoded.

    Bytes that are not UTF-8 survive as surrogate escapes, so encoding back is lossless.
    The line is decoded first and cut as text: the colon, CR, LF, space and tab are single
    ASCII bytes that never occur inside an escaped or multi-byte sequence, so this is the same
    value as cutting the bytes, and text methods are far cheaper from compiled code (a `bytes`
    find() parses its arguments; `b"\\n" in value` even raises and clears a TypeError inside
    CPython 3.11 before it searches).
    """
    text = line.decode("utf-8", "surrogateescape")
    value = text[text.find(":") + 1 :]
    if "\n" in value:  # folded (§7.3.1): rare, unfolded on the bytes
        folded = line[line.find(b":") + 1 :]
        return unfold(folded).strip(b" \t").decode("utf-8", "surrogateescape")
    return value.strip(" \t")


def encode_value(value: str) -> bytes:
    """Encode a header value we write; CR and LF are refused (they would inject headers)."""
    if "\r" in value or "\n" in value:
        raise LocalError("header value contains CR or LF")
    return value.encode("utf-8", "surrogateescape")


class Message:
    """Common part of Request and Response: header lines, body and typed accessors."""

    __slots__ = ("_cache", "_keys", "_lines", "_raw", "_start", "body")

    def __init__(
        self, start: bytes, keys: list[str], lines: list[bytes], body: bytes, raw: bytes | None
    ) -> None:
        self._start = start
        self._keys = keys
        self._lines = lines
        self.body = body
        self._raw = raw
        self._cache: dict[str, Any] = {}

    # ----- raw header access -------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True when at least one header line called `name` (any form, compact too) exists."""
        return key_of(name) in self._keys

    def header(self, name: str) -> str | None:
        """The whole value of the first `name` line (unfolded, stripped), or None."""
        key = key_of(name)
        keys = self._keys
        # A membership test first, not index() in try/except: an absent header is a normal
        # case, and a raised exception costs far more than a second scan (compiled code above
        # all, where it records a traceback).
        if key not in keys:
            return None
        return decode_value(self._lines[keys.index(key)])

    def header_lines(self, name: str) -> list[str]:
        """The value of every `name` line, in order, not split on commas."""
        return self._lines_of(key_of(name))

    def values(self, name: str) -> list[str]:
        """Every value of `name`: lines of a list header (§7.3.1) are split on commas."""
        return self._values(key_of(name))

    def _lines_of(self, key: str) -> list[str]:
        keys = self._keys
        count = keys.count(key)
        if count == 1:
            return [decode_value(self._lines[keys.index(key)])]
        if not count:
            return []
        return [decode_value(line) for k, line in zip(keys, self._lines) if k == key]

    def _values(self, key: str) -> list[str]:
        lines = self._lines_of(key)
        if key not in LIST_HEADERS:
            return lines
        if len(lines) == 1:
            return split_commas(lines[0])
        return [part for line in lines for part in split_commas(line)]

    def items(self) -> Iterator[tuple[str, str]]:
        """(canonical name, value) for every header line, in order."""
        for key, line in zip(self._keys, self._lines):
            yield canonical(key), decode_value(line)

    def raw_lines(self) -> list[bytes]:
        """The header lines exactly as they are (or will be) on the wire."""
        return list(self._lines)

    def _single(self, key: str) -> str | None:
        """The value of a header that may appear once; ParseError if it appears twice."""
        keys = self._keys
        count = keys.count(key)
        if not count:
            return None
        if count > 1 and key in SINGLE_HEADERS:
            raise ParseError(f"more than one {canonical(key)} header")
        return decode_value(self._lines[keys.index(key)])

    def _required(self, key: str) -> str:
        """`_single()` for a header that must be present (same checks, one call less)."""
        keys = self._keys
        count = keys.count(key)
        if count != 1:
            if not count:
                raise ParseError(f"missing {canonical(key)} header")
            if key in SINGLE_HEADERS:
                raise ParseError(f"more than one {canonical(key)} header")
        return decode_value(self._lines[keys.index(key)])

    # ----- typed accessors (cached until the next edit of their header) -------------------
    @property
    def vias(self) -> list[Via]:
        """Every Via value, top first (§20.42); ParseError if any is malformed."""
        value: list[Via] | None = self._cache.get("via/vias")
        if value is None:
            value = self._cache["via/vias"] = [parse_via(v) for v in self._values("via")]
        return value

    @property
    def top_via(self) -> Via:
        """The topmost Via; parses only the first value. ParseError if there is none."""
        cache = self._cache
        top: Via | None = cache.get("via/top_via")
        if top is not None:
            return top
        vias: list[Via] | None = cache.get("via/vias")
        if vias:
            return vias[0]
        keys = self._keys
        if "via" not in keys:
            raise ParseError("missing Via header")
        value = decode_value(self._lines[keys.index("via")])
        top = cache["via/top_via"] = parse_via(
            value if "," not in value else split_commas(value)[0]
        )
        return top

    @property
    def from_(self) -> NameAddr:
        """The From header (§20.20)."""
        value: NameAddr | None = self._cache.get("from/from_")
        if value is None:
            value = self._cache["from/from_"] = parse_name_addr(self._required("from"), what="From")
        return value

    @property
    def to(self) -> NameAddr:
        """The To header (§20.39)."""
        value: NameAddr | None = self._cache.get("to/to")
        if value is None:
            value = self._cache["to/to"] = parse_name_addr(self._required("to"), what="To")
        return value

    @property
    def call_id(self) -> str:
        """The Call-ID (§20.8): compared byte for byte, so returned as written."""
        value: str | None = self._cache.get("call-id/call_id")
        if value is None:
            value = self._required("call-id")
            if " " in value or "\t" in value:
                raise ParseError("malformed Call-ID")
            self._cache["call-id/call_id"] = value
        return value

    @property
    def cseq(self) -> CSeq:
        """The CSeq (§20.16)."""
        value: CSeq | None = self._cache.get("cseq/cseq")
        if value is None:
            value = self._cache["cseq/cseq"] = parse_cseq(self._required("cseq"))
        return value

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards (§20.22), None when absent."""
        cache = self._cache
        if "max-forwards/max_forwards" in cache:
            cached: int | None = cache["max-forwards/max_forwards"]
            return cached
        value = self._single("max-forwards")
        result = cache["max-forwards/max_forwards"] = (
            None if value is None else parse_max_forwards(value)
        )
        return result

    @property
    def contacts(self) -> list[NameAddr]:
        """Every Contact value; `Contact: *` gives one NameAddr whose `is_star` is True."""
        value: list[NameAddr] | None = self._cache.get("contact/contacts")
        if value is None:
            value = self._cache["contact/contacts"] = self._addresses("contact", "Contact")
        return value

    @property
    def routes(self) -> list[NameAddr]:
        """Route values, in order (§20.34)."""
        value: list[NameAddr] | None = self._cache.get("route/routes")
        if value is None:
            value = self._cache["route/routes"] = self._addresses("route", "Route")
        return value

    @property
    def record_routes(self) -> list[NameAddr]:
        """Record-Route values, in order (§20.30)."""
        value: list[NameAddr] | None = self._cache.get("record-route/record_routes")
        if value is None:
            value = self._cache["record-route/record_routes"] = self._addresses(
                "record-route", "Record-Route"
            )
        return value

    @property
    def paths(self) -> list[NameAddr]:
        """Path (RFC 3327)."""
        value: list[NameAddr] | None = self._cache.get("path/paths")
        if value is None:
            value = self._cache["path/paths"] = self._addresses("path", "Path")
        return value

    def _addresses(self, key: str, what: str) -> list[NameAddr]:
        keys = self._keys
        count = keys.count(key)
        if count == 1:
            # _values() of one line holding one value, inlined (split_commas without a comma).
            value = decode_value(self._lines[keys.index(key)])
            if "," not in value:
                value = value.strip()
                if not value:
                    raise ParseError("empty element in a comma-separated list")
                return [parse_name_addr(value, what=what)]
        elif not count:
            return []
        return [parse_name_addr(v, what=what) for v in self._values(key)]

    @property
    def expires(self) -> int | None:
        """Expires (§20.19) as delta-seconds, None when absent."""
        cache = self._cache
        if "expires/expires" in cache:
            cached: int | None = cache["expires/expires"]
            return cached
        value = cache["expires/expires"] = self._delta("expires")
        return value

    @property
    def min_expires(self) -> int | None:
        """Min-Expires (§20.23), None when absent."""
        cache = self._cache
        if "min-expires/min_expires" in cache:
            cached: int | None = cache["min-expires/min_expires"]
            return cached
        value = cache["min-expires/min_expires"] = self._delta("min-expires")
        return value

    @property
    def www_authenticate(self) -> list[Challenge]:
        """WWW-Authenticate challenges (§20.44), one per line (auth headers are never split)."""
        value: list[Challenge] | None = self._cache.get("www-authenticate/www_authenticate")
        if value is None:
            value = self._cache["www-authenticate/www_authenticate"] = [
                parse_challenge(v) for v in self._lines_of("www-authenticate")
            ]
        return value

    @property
    def proxy_authenticate(self) -> list[Challenge]:
        """Proxy-Authenticate challenges (§20.27)."""
        value: list[Challenge] | None = self._cache.get("proxy-authenticate/proxy_authenticate")
        if value is None:
            value = self._cache["proxy-authenticate/proxy_authenticate"] = [
                parse_challenge(v) for v in self._lines_of("proxy-authenticate")
            ]
        return value

    @property
    def authorization(self) -> list[Credentials]:
        """Authorization credentials (§20.7), one per line."""
        value: list[Credentials] | None = self._cache.get("authorization/authorization")
        if value is None:
            value = self._cache["authorization/authorization"] = [
                parse_credentials(v) for v in self._lines_of("authorization")
            ]
        return value

    @property
    def proxy_authorization(self) -> list[Credentials]:
        """Proxy-Authorization credentials (§20.28), one per line."""
        value: list[Credentials] | None = self._cache.get("proxy-authorization/proxy_authorization")
        if value is None:
            value = self._cache["proxy-authorization/proxy_authorization"] = [
                parse_credentials(v) for v in self._lines_of("proxy-authorization")
            ]
        return value

    def _delta(self, key: str) -> int | None:
        value = self._single(key)
        return None if value is None else parse_delta_seconds(value)

    @property
    def content_length(self) -> int:
        """The body length; always equal to the Content-Length this message will carry."""
        return len(self.body)

    @property
    def content_type(self) -> ContentType | None:
        """Content-Type (§20.15), None when absent."""
        cache = self._cache
        if "content-type/content_type" in cache:
            cached: ContentType | None = cache["content-type/content_type"]
            return cached
        value = self._single("content-type")
        result = cache["content-type/content_type"] = (
            None if value is None else parse_content_type(value)
        )
        return result

    @property
    def retry_after(self) -> RetryAfter | None:
        value = self.header("retry-after")
        return None if value is None else parse_retry_after(value)

    def tokens(self, name: str) -> list[str]:
        """A token list header (Supported, Require, Proxy-Require, Unsupported, Allow)."""
        return check_token_list(self.values(name), canonical(key_of(name)))

    @property
    def supported(self) -> list[str]:
        return self.tokens("supported")

    @property
    def require(self) -> list[str]:
        return self.tokens("require")

    @property
    def proxy_require(self) -> list[str]:
        return self.tokens("proxy-require")

    @property
    def unsupported(self) -> list[str]:
        return self.tokens("unsupported")

    @property
    def allow(self) -> list[str]:
        return self.tokens("allow")

    def forget_views(self) -> None:
        """Drop every parsed view; each is parsed again if asked for. For a message kept only
        to match retransmissions (a completed transaction holds its request and last response
        for up to 32 s, RFC 3261 §17): the views are two thirds of its memory."""
        self._cache.clear()

    # ----- validation --------------------------------------------------------------------
    def validate(self) -> None:
        """Check the headers every element relies on (§8.1.1, §8.2, §16.3 step 1).

        Via (every value), From, To, Call-ID, CSeq and Max-Forwards must parse and the single
        ones appear once. Raises ParseError with the status to answer.
        """
        if not self.vias:
            raise ParseError("missing Via header")
        self._validate_fields()

    def _validate_fields(self) -> None:
        """validate() after the Via check."""
        _ = (self.from_.uri, self.to.uri, self.call_id, self.cseq, self.max_forwards)
        if "content-type" in self._keys:
            self.content_type  # noqa: B018  (parsing is the check)

    def _check_vias(self) -> None:
        """The Via check of validate() without keeping the Vias below the top one: each value
        is checked as `vias` would parse it (the same ParseError for the first bad one), but
        only the top one is parsed and cached (as `top_via`)."""
        cache = self._cache
        if "via/vias" in cache:
            if not cache["via/vias"]:
                raise ParseError("missing Via header")
            return
        values = self._values("via")
        if not values:
            raise ParseError("missing Via header")
        if "via/top_via" not in cache:
            cache["via/top_via"] = parse_via(values[0])
        for i in range(1, len(values)):
            check_via(values[i])

    # ----- edits -------------------------------------------------------------------------
    def _touch(self, key: str) -> None:
        """Forget the original bytes and every cached view of header `key`."""
        self._raw = None
        cache = self._cache
        if cache:
            for slot in CACHE_SLOTS.get(key, ()):
                if slot in cache:
                    del cache[slot]

    def _insert(self, index: int, key: str, value: str) -> None:
        self._keys.insert(index, key)
        self._lines.insert(index, canonical(key).encode() + b": " + encode_value(value))
        self._touch(key)

    def add_header(self, name: str, value: str) -> None:
        """Append a header line after all others."""
        self._insert(len(self._keys), key_of(name), value)

    def insert_header(self, name: str, value: str) -> None:
        """Insert a line above the first line of the same header (or append if there is none).

        This is how a value is put at the top of a list such as Via, Record-Route or Route.
        """
        key = key_of(name)
        keys = self._keys
        self._insert(keys.index(key) if key in keys else len(keys), key, value)

    def remove_header(self, name: str) -> int:
        """Remove every line of `name`; return how many lines were removed."""
        key = key_of(name)
        if key not in self._keys:  # the usual case (e.g. P-Asserted-Identity on every request)
            return 0
        keep = [i for i, k in enumerate(self._keys) if k != key]
        removed = len(self._keys) - len(keep)
        if removed:
            self._keys = [self._keys[i] for i in keep]
            self._lines = [self._lines[i] for i in keep]
            self._touch(key)
        return removed

    def set_header(self, name: str, value: str) -> None:
        """Give `name` exactly one line with `value`, in the place of the first existing one."""
        key = key_of(name)
        if key not in self._keys:
            self._insert(len(self._keys), key, value)
            return
        index = self._keys.index(key)
        self._replace_line(index, value)
        if self._keys.count(key) > 1:
            rest = [i for i in range(index + 1, len(self._keys)) if self._keys[i] == key]
            for i in reversed(rest):
                del self._keys[i]
                del self._lines[i]

    def _replace_line(self, index: int, value: str) -> None:
        line = self._lines[index]
        name = line[: line.find(b":")].rstrip(b" \t")
        self._lines[index] = name + b": " + encode_value(value)
        self._touch(self._keys[index])

    def pop_value(self, name: str) -> str | None:
        """Remove and return the first value of a list header (the top Via, Route ...).

        Only the first line changes: its first element goes, the line goes when it empties.
        """
        key = key_of(name)
        if key not in self._keys:
            return None
        index = self._keys.index(key)
        parts = split_commas(decode_value(self._lines[index]))
        if len(parts) == 1:
            del self._keys[index]
            del self._lines[index]
            self._touch(key)
        else:
            self._replace_line(index, ", ".join(parts[1:]))
        return parts[0]

    def replace_top_via(self, via: Via | str) -> None:
        """Replace the topmost Via value (§18.2.1 stamping); other values on its line stay.

        ParseError if there is no Via.
        """
        keys = self._keys
        if "via" not in keys:
            raise ParseError("missing Via header")
        index = keys.index("via")
        parts = split_commas(decode_value(self._lines[index]))
        self._replace_line(index, ", ".join([str(via), *parts[1:]]))

    def push_via(self, via: Via | str) -> None:
        """Put a new Via on top (§16.6 step 8)."""
        keys = self._keys  # insert_header("via", ...) without the name lookup
        self._insert(keys.index("via") if "via" in keys else len(keys), "via", str(via))

    def pop_via(self) -> Via:
        """Remove the top Via and return it (§16.7 step 3); ParseError if there is none."""
        cache = self._cache
        vias: list[Via] | None = cache.get("via/vias")
        parsed: Via | None = vias[0] if vias else cache.get("via/top_via")
        value = self.pop_value("via")
        if value is None:
            raise ParseError("missing Via header")
        # The top Via was usually parsed already (transaction matching): the same text, so the
        # same value, without parsing it again.
        return parsed if parsed is not None else parse_via(value)

    def set_max_forwards(self, hops: int) -> None:
        if not 0 <= hops <= 255:
            raise LocalError("Max-Forwards must be 0..255")
        keys = self._keys
        if keys.count("max-forwards") != 1:
            self.set_header("max-forwards", str(hops))
            return
        # The usual case, set_header() without its name lookup: one line, replaced in place.
        index = keys.index("max-forwards")
        line = self._lines[index]
        self._lines[index] = line[: line.find(b":")].rstrip(b" \t") + b": " + b"%d" % hops
        self._touch("max-forwards")

    def decrement_max_forwards(self, default: int = 70) -> int:
        """§16.6 step 3: decrement Max-Forwards, or add it with `default` when absent."""
        current = self.max_forwards
        hops = default if current is None else max(current - 1, 0)
        self.set_max_forwards(hops)
        return hops

    def set_body(self, body: bytes, content_type: str | None = None) -> None:
        """Replace the body, keep Content-Length right, and set Content-Type when given."""
        self.body = body
        self.set_header("content-length", str(len(body)))
        if content_type is not None:
            self.set_header("content-type", content_type)
        elif not body:
            self.remove_header("content-type")

    # ----- serialization -----------------------------------------------------------------
    def serialize(self) -> bytes:
        """The wire form: the original bytes when nothing was edited.

        Bytes built from edited lines are kept until the next edit (every edit goes through
        `_touch`, which drops them): a forwarded UDP request is serialized for the §18.1.1 size
        check and again to be sent. Not kept when Content-Length is added here, so that a copy
        (`_copy_into`) still gains the header line as re-parsing would find it."""
        raw = self._raw
        if raw is not None:
            return raw
        lines = self._lines
        if "content-length" not in self._keys:
            lines = [*lines, b"Content-Length: " + str(len(self.body)).encode()]
            return b"\r\n".join([self._start, *lines, b"", self.body])
        raw = self._raw = b"\r\n".join([self._start, *lines, b"", self.body])
        return raw

    def __bytes__(self) -> bytes:
        return self.serialize()

    def _copy_into(self, copy: Message) -> None:
        """Fill `copy` with this message's start line, lines, body and parsed views.

        The lists are copied, so edits of either message never show in the other; the parsed
        views are shared, as nothing edits a view in place (an edit replaces lines and drops
        the views of that header, in the message edited only)."""
        copy._start = self._start
        copy._keys = self._keys.copy()
        copy._lines = self._lines.copy()
        copy.body = self.body
        copy._raw = self._raw
        copy._cache = self._cache.copy()
        if self._raw is None and "content-length" not in self._keys:
            # What re-parsing would find: serialize() writes the true Content-Length.
            copy._keys.append("content-length")
            copy._lines.append(b"Content-Length: " + str(len(self.body)).encode())

    def _identity(self) -> tuple[object, ...]:
        return (
            self._start,
            [(k, decode_value(x)) for k, x in zip(self._keys, self._lines)],
            self.body,
        )

    def __eq__(self, other: object) -> bool:
        """Equal when start line, header names and unfolded values, and body are equal."""
        if not isinstance(other, Message) or type(other) is not type(self):
            return NotImplemented
        return self._identity() == other._identity()

    __hash__ = None  # type: ignore[assignment]


class Request(Message):
    """A SIP request (§7.1). `method` is case-sensitive, as §7.1 says."""

    __slots__ = ("_uri_text", "method")

    def __init__(
        self,
        method: str,
        uri_text: str,
        keys: list[str],
        lines: list[bytes],
        body: bytes,
        raw: bytes | None,
        start: bytes | None = None,
    ) -> None:
        if start is None:
            start = f"{method} {uri_text} SIP/2.0".encode("utf-8", "surrogateescape")
        # Message.__init__ inlined (one call less per parsed message); keep the two in step.
        self._start = start
        self._keys = keys
        self._lines = lines
        self.body = body
        self._raw = raw
        self._cache = {}
        self.method = method
        self._uri_text = uri_text

    @property
    def uri_text(self) -> str:
        return self._uri_text

    @property
    def uri(self) -> Uri:
        """The Request-URI (§19); ParseError if malformed. Unknown schemes parse (416 is
        the proxy's answer, not the parser's)."""
        value: Uri | None = self._cache.get("ruri/uri")
        if value is None:
            value = self._cache["ruri/uri"] = parse_uri(self._uri_text)
        return value

    def set_uri(self, uri: Uri | str) -> None:
        """Rewrite the Request-URI (§16.5, §16.6 step 2); only the request line changes."""
        text = str(uri)
        if not text or any(ch in text for ch in " \t\r\n"):
            raise LocalError("a Request-URI has no whitespace")
        self._uri_text = text
        self._start = f"{self.method} {text} SIP/2.0".encode("utf-8", "surrogateescape")
        self._touch("ruri")

    def validate(self) -> None:
        """§8.2 / §16.3 checks plus the Request-URI and the CSeq method (RFC 4475 mismatch)."""
        uri = self.uri
        if isinstance(uri, SipUri) and uri.headers:
            # §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 escruri).
            raise ParseError("Request-URI carries headers")
        super().validate()
        if self.cseq.method != self.method:
            status = 400 if self.method in KNOWN_METHODS else 501
            raise ParseError("CSeq method does not match the request method", status)

    def copy(self) -> Request:
        """An independent copy (RFC 3261 §16.6 step 1), equal to re-parsing `serialize()`
        without the parsing."""
        copy = Request(self.method, self._uri_text, self._keys, self._lines, self.body, None, b"")
        self._copy_into(copy)
        return copy

    def __repr__(self) -> str:
        return f"<Request {self.method} {self._uri_text}>"


class Response(Message):
    """A SIP response (§7.2)."""

    __slots__ = ("reason", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        keys: list[str],
        lines: list[bytes],
        body: bytes,
        raw: bytes | None,
        start: bytes | None = None,
    ) -> None:
        if start is None:
            start = f"SIP/2.0 {status} {reason}".encode("utf-8", "surrogateescape")
        # Message.__init__ inlined (one call less per parsed message); keep the two in step.
        self._start = start
        self._keys = keys
        self._lines = lines
        self.body = body
        self._raw = raw
        self._cache = {}
        self.status = status
        self.reason = reason

    @property
    def status_class(self) -> int:
        return self.status // 100

    def validate(self) -> None:
        """Message.validate() for a response: every Via is checked, but only the top one is
        parsed and kept, since nothing reads a response's Vias past the top one (§16.7 step 3
        removes it, §18.1.2 checks it); `vias` parses them all if asked."""
        self._check_vias()
        self._validate_fields()

    def copy(self) -> Response:
        """An independent copy, equal to re-parsing `serialize()` without the parsing."""
        copy = Response(self.status, self.reason, self._keys, self._lines, self.body, None, b"")
        self._copy_into(copy)
        return copy

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason}>"
