"""Header names: canonical spelling, compact forms (RFC 3261 §7.3.3, §20) and which are lists.

A header is keyed inside the message layer by its lower-cased long name ("via", "call-id").
`key_of_bytes` maps the bytes before the colon of a header line to that key; the common spellings
are looked up in one dict, anything else is stripped, checked to be a token and lower-cased.
"""

from __future__ import annotations

import sys

from sipwarden.errors import ParseError
from sipwarden.sip.scan import TOKEN_RE

# fmt: off
# Keys are interned, like every string literal of the compiled modules (mypyc interns them):
# the message layer's `keys.count("via")`, `"cseq" in keys` and `k == key` then match on identity
# before comparing characters.
CANONICAL: dict[str, str] = {
    sys.intern(name.lower()): name
    for name in (
        "Accept",
        "Accept-Contact",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Authentication-Info",
        "Authorization",
        "Call-ID",
        "Call-Info",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Error-Info",
        "Event",
        "Expires",
        "From",
        "Identity",
        "In-Reply-To",
        "Max-Forwards",
        "MIME-Version",
        "Min-Expires",
        "Min-SE",
        "Organization",
        "P-Asserted-Identity",
        "P-Preferred-Identity",
        "Path",
        "Priority",
        "Privacy",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "RAck",
        "Reason",
        "Record-Route",
        "Refer-To",
        "Referred-By",
        "Reject-Contact",
        "Replaces",
        "Reply-To",
        "Request-Disposition",
        "Require",
        "Retry-After",
        "Route",
        "RSeq",
        "Server",
        "Session-Expires",
        "SIP-ETag",
        "SIP-If-Match",
        "Subject",
        "Subscription-State",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
    )
}

# RFC 3261 §7.3.3 and the compact forms registered since (RFC 3515 r, RFC 3892 b, RFC 3841 a j d,
# RFC 3903 none, RFC 4028 x, RFC 3265 o u).
COMPACT: dict[str, str] = {
    "a": "accept-contact", "b": "referred-by", "c": "content-type", "d": "request-disposition",
    "e": "content-encoding", "f": "from", "i": "call-id", "j": "reject-contact",
    "k": "supported", "l": "content-length", "m": "contact", "o": "event", "r": "refer-to",
    "s": "subject", "t": "to", "u": "allow-events", "v": "via", "x": "session-expires",
    "y": "identity",
}
COMPACT = {short: sys.intern(key) for short, key in COMPACT.items()}  # interned, as above

# Headers whose values are comma-separated lists (RFC 3261 §7.3.1): several lines of one of these
# are equivalent to one line with the values joined by commas. Auth headers are not in this set:
# their parameters contain commas, so each line is one value.
LIST_HEADERS: frozenset[str] = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "alert-info",
        "allow",
        "allow-events",
        "call-info",
        "contact",
        "content-encoding",
        "content-language",
        "error-info",
        "in-reply-to",
        "p-asserted-identity",
        "p-preferred-identity",
        "path",
        "privacy",
        "proxy-require",
        "reason",
        "record-route",
        "require",
        "route",
        "supported",
        "unsupported",
        "via",
        "warning",
    }
)
# fmt: on

# Headers that may appear at most once (RFC 3261 §7.3.1 and Table 2/3); a second one is an error.
SINGLE_HEADERS: frozenset[str] = frozenset(
    {"call-id", "cseq", "from", "to", "max-forwards", "content-length", "content-type"}
)


def canonical(key: str) -> str:
    """The spelling we write for a header key: `call-id` -> `Call-ID`; unknown keys title-cased."""
    known = CANONICAL.get(key)
    if known is not None:
        return known
    return "-".join(part.capitalize() for part in key.split("-"))


# A lower-cased name (long or compact) to its key, the interned one when the header is known.
_KEYS: dict[str, str] = {**{key: key for key in CANONICAL}, **COMPACT}


def _spellings() -> dict[bytes, str]:
    table: dict[bytes, str] = {}
    for key, name in CANONICAL.items():
        for spelling in (name, key, name.upper()):
            table[spelling.encode()] = key
    for short, key in COMPACT.items():
        table[short.encode()] = key
        table[short.upper().encode()] = key
    return table


FAST_KEYS: dict[bytes, str] = _spellings()
# The same spellings with the colon: `line[: line.find(b":") + 1]` is b"" for a line without a
# colon, so a bare "Via" line can never be taken for a header.
LINE_KEYS: dict[bytes, str] = {name + b":": key for name, key in FAST_KEYS.items()}
# LINE_KEYS for the decoded line (all the spellings are ASCII).
TEXT_LINE_KEYS: dict[str, str] = {name.decode(): key for name, key in LINE_KEYS.items()}


def key_of_bytes(raw_name: bytes) -> str:
    """Map the bytes before a header line's colon to the header key; ParseError if not a token."""
    key = FAST_KEYS.get(raw_name)
    if key is not None:
        return key
    return _slow_key(raw_name)


def _slow_key(raw_name: bytes) -> str:
    name = raw_name.strip(b" \t").decode("latin-1")
    if TOKEN_RE.fullmatch(name) is None:
        raise ParseError("malformed header name")
    lower = name.lower()
    return _KEYS.get(lower, lower)


def key_of(name: str) -> str:
    """Map a header name given by our own code ("Via", "v", "call-id") to its key."""
    lower = name.strip().lower()
    return _KEYS.get(lower, lower)
