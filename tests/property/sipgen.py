"""Hypothesis strategies for valid SIP messages, with a record of what each one should parse to.

How this works: every strategy draws the parts of a message (Via values, addresses, CSeq ...) as
small spec objects, renders each part to text, and assembles the header section from lines whose
name spelling (long, compact, odd case, space before the colon), separator, order and folding
are drawn too. `Generated` keeps the bytes next to the specs, so a test can check the typed
accessors against what was put in. Only valid messages come out of here: hostile input is the
business of test_hostile.py, which mutates these and the torture corpus.

Folding (RFC 3261 §7.3.1) is applied only where LWS is allowed and never next to other
whitespace, so unfolding gives back the exact unfolded text the specs were rendered to.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from random import Random
from urllib.parse import unquote

from hypothesis import settings
from hypothesis import strategies as st

from sipwarden.sip import Message


def budget(examples: int) -> int:
    """`examples` scaled by the loaded profile (ci: 100 = x1, fuzz: many more; tests/conftest)."""
    return max(1, examples * settings.default.max_examples // 100)


# ----- lexical pieces (RFC 3261 §25.1) -----------------------------------------------------------
ALPHANUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TOKEN_CHARS = ALPHANUM + "-.!%*_+`'~"
WORD_CHARS = TOKEN_CHARS + '()<>:\\"/[]?{}'
USER_CHARS = ALPHANUM + "-_.!~*'()&=+$"
KNOWN_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
                 "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE"]  # fmt: skip

tokens = st.text(TOKEN_CHARS, min_size=1, max_size=12)
# Printable text with some UTF-8 beyond ASCII: header values, reason phrases, display names.
_TEXT_ALPHABET = st.characters(
    min_codepoint=0x20, max_codepoint=0x2FFF, blacklist_categories=["Cc", "Cs", "Zl", "Zp"]
)


def _no_edge_space(text: str) -> bool:
    return text == text.strip(" \t") and "  " not in text


free_text = st.sampled_from(
    ["", "Alice", "Bob Smith", 'say "hi"', "a\\b", "é ü 日本", "x, y; z"]
) | st.text(_TEXT_ALPHABET, max_size=24).filter(_no_edge_space)

# ----- hosts and URIs ----------------------------------------------------------------------------
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_label = st.sampled_from(["atlanta", "host-1", "x9", "b-2-c", "0", "PROXY"]) | st.text(
    _LOWER + "0123456789", min_size=1, max_size=6
)
_toplabel = st.sampled_from(["com", "example", "Net", "a-b", "invalid"]) | st.text(
    _LOWER, min_size=1, max_size=4
)
hostnames = st.builds(
    lambda labels, top: ".".join([*labels, top]), st.lists(_label, max_size=3), _toplabel
)
# Built from integers: st.ip_addresses() costs several times more per example.
ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
_v6 = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: (0x20010DB8 << 96) | n),
    st.integers(0, 2**128 - 1),
).map(lambda n: f"[{ipaddress.IPv6Address(n).compressed}]")
ipv6 = _v6 | st.sampled_from(
    ["[2001:db8::10]", "[::1]", "[::]", "[2001:db8::192.0.2.1]", "[::ffff:192.0.2.2]", "[FE80::1]"]
)
hosts = st.one_of(hostnames, ipv4, ipv6)
ports = st.none() | st.integers(1, 65535)


@dataclass(frozen=True)
class UriSpec:
    text: str
    scheme: str  # lower-cased
    user: str | None = None  # unescaped
    host: str | None = None
    port: int | None = None
    plain: bool = True  # no ';', '?' or ',': usable without angle brackets (addr-spec)


_escaped = st.sampled_from(["%41", "%40", "%3A", "%20", "%2c", "%3b"])
_user = st.sampled_from([["alice"], ["bob"], ["+1-201-555-0123"], ["a", "%40", "b"]]) | st.lists(
    st.text(USER_CHARS, min_size=1, max_size=6) | _escaped, min_size=1, max_size=3
)
_uri_params = st.lists(
    st.sampled_from(
        [";transport=tcp", ";transport=UDP", ";lr", ";user=phone", ";maddr=192.0.2.1",
         ";ttl=15", ";method=INVITE", ";x-ext", ";x-ext=val"]
    ),
    max_size=3,
    unique=True,
).map("".join)  # fmt: skip


_schemes = st.sampled_from(["sip", "sip", "sips", "SIP"])
_maybe_user = st.none() | _user
# Cosmetic choices (spelling, spacing, order, folding) come from one drawn Random: a fraction of
# the draws, which keeps generation fast; the content that accessors are checked against does not.
_rng = st.randoms(use_true_random=True)


@st.composite
def sip_uris(draw: st.DrawFn) -> UriSpec:
    scheme = draw(_schemes)
    user_parts = draw(_maybe_user)
    user = None if user_parts is None else "".join(user_parts)
    host = draw(hosts)
    port = draw(ports)
    params = draw(_uri_params)
    text = f"{scheme}:{'' if user is None else user + '@'}{host}"
    text += "" if port is None else f":{port}"
    text += params
    return UriSpec(
        text,
        scheme.lower(),
        None if user is None else unquote(user),
        host,
        port,
        plain=not params and (user is None or not any(c in user for c in ";?,")),
    )


_other_uris = st.sampled_from(
    ["tel:+1-201-555-0123", "tel:7042;phone-context=example.com", "urn:service:sos",
     "http://example.com/a?b=c", "mailto:alice@example.com"]
).map(lambda text: UriSpec(text, text.split(":")[0], plain=False))  # fmt: skip
uris = st.one_of(sip_uris(), sip_uris(), sip_uris(), _other_uris)

# ----- Via (§20.42, RFC 3581, RFC 5118) ----------------------------------------------------------


@dataclass(frozen=True)
class ViaSpec:
    text: str
    transport: str  # upper-cased
    host: str
    port: int | None
    branch: str | None
    received: str | None  # as Via.received gives it (no brackets)
    rport: int | None
    wants_rport: bool


_transports = st.sampled_from(["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "udp", "Tcp"])
_branches = st.none() | tokens.map(lambda t: "z9hG4bK" + t)
_received = st.none() | ipv4 | ipv6 | ipv6.map(lambda h: h[1:-1])
_rports = st.sampled_from([None, "", "5060", "1", "65535"])


@st.composite
def vias(draw: st.DrawFn) -> ViaSpec:
    transport = draw(_transports)
    host = draw(hosts)
    port = draw(ports)
    rnd = draw(_rng)
    protocol = rnd.choice(["SIP/2.0/", "SIP/2.0/", "SIP/2.0/", "SIP / 2.0 / "])
    params: list[str] = []
    branch = draw(_branches)
    if branch is not None:
        params.append(f";branch={branch}")
    received = draw(_received)
    if received is not None:
        params.append(f";received={received}")
    rport = draw(_rports)
    if rport is not None:
        params.append(";rport" if not rport else f";rport={rport}")
    params += rnd.sample([";ttl=1", ";maddr=224.2.0.1", ";x-f", ";alias"], rnd.randint(0, 2))
    order = rnd.sample(params, len(params))
    sent_by = host if port is None else f"{host}:{port}"
    return ViaSpec(
        f"{protocol}{transport} {sent_by}{''.join(order)}",
        transport.upper(),
        host,
        port,
        branch,
        None if received is None else received.strip("[]"),
        int(rport) if rport else None,
        rport is not None,
    )


# ----- name-addr / addr-spec (§20.10, §20.20, §20.39) --------------------------------------------


@dataclass(frozen=True)
class AddrSpec:
    text: str
    uri: UriSpec
    display: str | None
    tag: str | None = None
    q: float | None = None
    expires: int | None = None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_token_display = st.lists(tokens, min_size=1, max_size=3).map(" ".join)
_q_values = st.none() | st.sampled_from(["0", "0.5", "0.123", "0.", "1", "1.0", "1.000", "0.7"])
_deltas = st.none() | st.integers(0, 2**32 - 1)
_forms = st.sampled_from(["quoted", "token", "bare", "spec"])
_tags = st.none() | tokens


@st.composite
def addresses(draw: st.DrawFn, *, tag: bool | None = None, contact: bool = False) -> AddrSpec:
    uri = draw(uris)
    rnd = draw(_rng)
    form = draw(_forms)
    if form == "spec" and not uri.plain:
        form = "bare"
    display: str | None = None
    if form == "quoted":
        display = draw(free_text)
        text = f"{_quote(display)}{rnd.choice([' ', ''])}<{uri.text}>"
    elif form == "token":
        display = draw(_token_display)
        text = f"{display}{rnd.choice([' ', ''])}<{uri.text}>"
    elif form == "bare":
        text = f"<{uri.text}>"
    else:
        text = uri.text
    params: list[str] = []
    tag_value = draw(tokens) if tag else draw(_tags) if tag is None else None
    if tag_value is not None:
        params.append(f";tag={tag_value}")
    q_text = expires = None
    if contact:
        q_text = draw(_q_values)
        if q_text is not None:
            params.append(f";q={q_text}")
        expires = draw(_deltas)
        if expires is not None:
            params.append(f";expires={expires}")
    params += rnd.sample([";x=1", ";y", ';z="a b;c,d"'], rnd.choice([0, 0, 1, 2]))
    text += "".join(rnd.sample(params, len(params)))
    q = None if q_text is None else float(q_text)
    return AddrSpec(text, uri, display, tag_value, q, expires)


# ----- whole messages ----------------------------------------------------------------------------

COMPACT = {"via": "v", "from": "f", "to": "t", "call-id": "i", "contact": "m",
           "content-length": "l", "content-type": "c", "supported": "k",
           "subject": "s"}  # fmt: skip
CANONICAL = {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq",
             "max-forwards": "Max-Forwards", "contact": "Contact", "route": "Route",
             "record-route": "Record-Route", "content-length": "Content-Length",
             "content-type": "Content-Type", "supported": "Supported", "expires": "Expires",
             "subject": "Subject", "user-agent": "User-Agent", "allow": "Allow",
             "require": "Require", "retry-after": "Retry-After"}  # fmt: skip


@dataclass
class Line:
    """One header line to render: key, value text and how to write it."""

    key: str
    value: str
    name: str = ""
    sep: str = ": "
    folds: tuple[int, ...] = ()  # indexes of spaces in `value` written as a fold
    lead_fold: str = ""  # a fold between the colon and the value

    def render(self) -> str:
        value = self.value
        for index in sorted(self.folds, reverse=True):
            value = value[:index] + "\r\n " + value[index + 1 :]
        lead = self.lead_fold
        return f"{self.name}{self.sep.rstrip() if lead else self.sep}{lead}{value}"


@dataclass
class Generated:
    """A valid message as bytes plus the specs it was built from."""

    data: bytes
    kind: str  # "request" or "response"
    method: str
    ruri: UriSpec | None
    status: int | None
    reason: str | None
    vias: list[ViaSpec]
    from_: AddrSpec
    to: AddrSpec
    call_id: str
    cseq: int
    max_forwards: int | None
    contacts: list[AddrSpec] | None  # None: absent; [] never; star is `contact_star`
    contact_star: bool
    routes: list[AddrSpec]
    record_routes: list[AddrSpec]
    expires: int | None
    supported: list[str] | None
    content_type: str | None
    body: bytes
    has_content_length: bool
    extensions: list[tuple[str, str]] = field(default_factory=list)


def _spelling(rnd: Random, key: str) -> str:
    canonical = CANONICAL.get(key, key)
    choices = [canonical, canonical, canonical.lower(), canonical.upper()]
    if key in COMPACT:
        choices += [COMPACT[key], COMPACT[key].upper()]
    name = rnd.choice(choices)
    if rnd.randrange(10) == 0:  # odd case: the slow name path
        name = "".join(rnd.choice((c.upper(), c.lower())) for c in name)
    return name


def _list_lines(rnd: Random, key: str, values: list[str]) -> list[Line]:
    """Spread list values over one or more lines, comma-joined (§7.3.1)."""
    lines: list[Line] = []
    for value in values:
        if lines and rnd.random() < 0.5:
            lines[-1].value += rnd.choice([", ", ",", " , "]) + value
        else:
            lines.append(Line(key, value))
    return lines


def _style(rnd: Random, line: Line) -> Line:
    """Spelling, separator and folding of one line: cosmetic, so drawn from one Random."""
    line.name = _spelling(rnd, line.key)
    line.sep = rnd.choice([": ", ": ", ":", ":\t", " : ", "\t: "])
    value = line.value
    spaces = [
        i
        for i, ch in enumerate(value)
        if ch == " " and 0 < i < len(value) - 1 and value[i - 1] not in " \t"
        if value[i + 1] not in " \t"
    ]
    if spaces and rnd.randrange(6) == 0:
        line.folds = tuple(rnd.sample(spaces, min(len(spaces), rnd.randint(1, 2))))
    if value and rnd.randrange(16) == 0:
        line.lead_fold = rnd.choice(["\r\n ", "\r\n\t", "\r\n   "])
    return line


def _place(rnd: Random, lines: list[Line]) -> list[Line]:
    """Shuffle the lines but keep the lines of one header in their order."""
    shuffled = rnd.sample(lines, len(lines))
    by_key: dict[str, list[Line]] = {}
    for line in lines:
        by_key.setdefault(line.key, []).append(line)
    return [by_key[line.key].pop(0) for line in shuffled]


_bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=200),
    st.sampled_from([b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n", b"\r\n\r\n", b"hello"]),
)
_reason = st.sampled_from(["OK", "Ringing", "", "Not Found", "Très bien", "a\tb "]) | st.text(
    _TEXT_ALPHABET | st.just("\t"), max_size=16
)
_kinds = st.sampled_from(["request", "response"])
_methods = st.sampled_from(KNOWN_METHODS) | tokens.filter(lambda t: t != "SIP")
_statuses = st.sampled_from([100, 180, 200, 302, 401, 486, 503]) | st.integers(100, 699)
_via_lists = st.lists(vias(), min_size=1, max_size=4)
_call_ids = st.tuples(
    st.text(WORD_CHARS, min_size=1, max_size=16),
    st.none() | st.text(WORD_CHARS, min_size=1, max_size=12),
).map(lambda parts: parts[0] if parts[1] is None else "@".join(parts))
_seqs = st.integers(0, 2**31 - 1)
_hops = st.none() | st.integers(0, 255)
_contact_lists = st.none() | st.lists(addresses(contact=True), min_size=1, max_size=3)
_route_lists = st.lists(addresses(tag=False), max_size=3)
_token_lists = st.none() | st.lists(tokens, min_size=1, max_size=3)
_content_types = st.sampled_from(
    ["application/sdp", "text/plain;charset=utf-8", "application/octet-stream", "Application/SDP"]
)
_extensions = st.lists(st.tuples(tokens.map(lambda t: "X-" + t), free_text), max_size=4)
_subjects = st.none() | free_text


@st.composite
def messages(draw: st.DrawFn, *, content_length: bool | None = None) -> Generated:
    """A valid request or response; `content_length=True` forces the header (streams)."""
    rnd = draw(_rng)
    kind = draw(_kinds)
    method = draw(_methods)
    ruri = draw(uris) if kind == "request" else None
    status = draw(_statuses)
    reason = draw(_reason)
    via_specs = draw(_via_lists)
    from_ = draw(addresses(tag=kind == "request" or None))
    to = draw(addresses())
    call_id = draw(_call_ids)
    cseq = draw(_seqs)
    max_forwards = draw(_hops)
    star = method == "REGISTER" and rnd.randrange(5) == 0
    contacts = None if star else draw(_contact_lists)
    routes = draw(_route_lists)
    record_routes = draw(_route_lists)
    expires = draw(_deltas)
    supported = draw(_token_lists)
    body = draw(_bodies)
    content_type = draw(_content_types) if body or rnd.random() < 0.5 else None
    has_cl = content_length if content_length is not None else rnd.randrange(6) > 0
    extensions = draw(_extensions)
    subject = draw(_subjects)

    lines = [
        *_list_lines(rnd, "via", [v.text for v in via_specs]),
        Line("from", from_.text),
        Line("to", to.text),
        Line("call-id", call_id),
        Line("cseq", f"{cseq}{rnd.choice([' ', '  ', chr(9)])}{method}"),
    ]
    if max_forwards is not None:
        lines.append(Line("max-forwards", str(max_forwards).zfill(rnd.choice([0, 0, 3]))))
    if star:
        lines.append(Line("contact", "*"))
    elif contacts is not None:
        lines += _list_lines(rnd, "contact", [c.text for c in contacts])
    lines += _list_lines(rnd, "route", [r.text for r in routes])
    lines += _list_lines(rnd, "record-route", [r.text for r in record_routes])
    if expires is not None:
        lines.append(Line("expires", str(expires)))
    if supported is not None:
        lines += _list_lines(rnd, "supported", supported)
    if content_type is not None:
        lines.append(Line("content-type", content_type))
    if subject is not None:
        lines.append(Line("subject", subject))
    lines += [Line(name.lower(), value) for name, value in extensions]
    if has_cl:
        lines.append(Line("content-length", str(len(body)).zfill(rnd.choice([0, 0, 0, 4]))))
    lines = _place(rnd, [_style(rnd, line) for line in lines])

    if kind == "request":
        assert ruri is not None
        start = f"{method} {ruri.text} SIP/2.0"
    else:
        start = f"SIP/2.0 {status} {reason}"
    head = "\r\n".join([start, *(line.render() for line in lines)])
    return Generated(
        data=head.encode() + b"\r\n\r\n" + body,
        kind=kind,
        method=method,
        ruri=ruri,
        status=status if kind == "response" else None,
        reason=reason if kind == "response" else None,
        vias=via_specs,
        from_=from_,
        to=to,
        call_id=call_id,
        cseq=cseq,
        max_forwards=max_forwards,
        contacts=contacts,
        contact_star=star,
        routes=routes,
        record_routes=record_routes,
        expires=expires,
        supported=supported,
        content_type=content_type,
        body=body,
        has_content_length=has_cl,
        extensions=extensions,
    )


def same_message(edited: Message, again: Message) -> None:
    """`again` (the reparse of `edited`) equals it, allowing for the Content-Length line that
    serialize() adds to an edited message that had none (message.py documents that it does);
    `again` loses that line, so the two can be compared further."""
    if not edited.has("content-length"):
        again.remove_header("content-length")
    assert again == edited
