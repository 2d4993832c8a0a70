"""Hostile input: nothing but ParseError ever escapes the message layer (RFC 3261 §16.3, §18.3).

Inputs are arbitrary bytes, SIP-shaped noise, and mutations (byte flips, insertions, deletions,
truncations, duplicated and swapped lines, lost CRs and LFs, folds, huge numbers) of the RFC 4475 /
RFC 5118 torture messages and of generated valid messages. For each input `exercise` runs
parse_datagram, validate, every typed accessor (and the URIs, q and expires inside them), the
stream framer, stateless_error, and for a message that validates the relay path (push Via,
decrement Max-Forwards, Record-Route, serialize, reparse, build_response). Any exception other
than ParseError fails the test with its traceback; a ParseError must carry an error status and a
printable reason; stateless_error must return None or bytes that parse as a response.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipwarden.errors import ParseError
from sipwarden.sip import (
    Message,
    parse_datagram,
)

from ..conformance.corpus import entries
from .exercise import attempt, check_reply, exercise
from .sipgen import Generated, budget, messages

# ----- mutations ---------------------------------------------------------------------------------

HUGE = [b"4294967296", b"2147483648", b"18446744073709551616", b"9" * 30, b"0" * 40 + b"7",
        b"65536", b"256", b"-1", b"+5", b"9" * 5000]  # fmt: skip
PIECES = [b"\r\n", b"\n", b"\r", b"\r\n ", b"\r\n\t", b"\r\n\r\n", b" ", b"\t", b'"', b"\\",
          b"<", b">", b";", b",", b":", b"@", b"[", b"]", b"=", b"%", b"%00", b"\x00", b"\xff",
          b"\xc3", b"\xe2\x80\xa8", b"sip:", b"SIP/2.0", b"z9hG4bK", b";tag=", b";branch=",
          b"Via: ", b"v:", b"Content-Length: ", b"l: 1", b"Call-ID: ", b"CSeq: 1 ",
          b"*"]  # fmt: skip
_index = st.integers(0, 10**6)
mutation = st.one_of(
    st.tuples(st.just("flip"), _index, st.integers(1, 255)),
    st.tuples(st.just("insert"), _index, st.sampled_from(PIECES) | st.binary(max_size=8)),
    st.tuples(st.just("delete"), _index, st.integers(1, 24)),
    st.tuples(st.just("truncate"), _index),
    st.tuples(st.just("dup_line"), _index, st.integers(1, 3)),
    st.tuples(st.just("swap_lines"), _index, _index),
    st.tuples(st.just("drop_line"), _index),
    st.tuples(st.just("lose_eol"), _index, st.sampled_from([b"", b"\r", b"\n", b"\n\r", b" "])),
    st.tuples(st.just("huge"), _index, st.sampled_from(HUGE)),
)
mutations = st.lists(mutation, min_size=1, max_size=4)


def _digit_runs(data: bytes) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(data):
        if 0x30 <= data[i] <= 0x39:
            j = i
            while j < len(data) and 0x30 <= data[j] <= 0x39:
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def mutate(data: bytes, op: tuple[Any, ...]) -> bytes:
    kind, at = op[0], op[1]
    if kind in ("flip", "insert", "delete", "truncate"):
        i = at % (len(data) + 1)
        if kind == "flip":
            return data if i == len(data) else data[:i] + bytes([data[i] ^ op[2]]) + data[i + 1 :]
        if kind == "insert":
            return data[:i] + op[2] + data[i:]
        if kind == "delete":
            return data[:i] + data[i + op[2] :]
        return data[:i]
    if kind == "huge":
        runs = _digit_runs(data)
        if not runs:
            return data + op[2]
        start, stop = runs[at % len(runs)]
        return data[:start] + op[2] + data[stop:]
    lines = data.split(b"\r\n")
    i = at % len(lines)
    if kind == "dup_line":
        lines[i:i] = [lines[i]] * op[2]
    elif kind == "swap_lines":
        j = op[2] % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "drop_line":
        del lines[i]
    elif kind == "lose_eol" and i < len(lines) - 1:
        lines[i : i + 2] = [lines[i] + op[2] + lines[i + 1]]
    return b"\r\n".join(lines)


def mutated(data: bytes, ops: list[tuple[Any, ...]]) -> bytes:
    for op in ops:
        data = mutate(data, op)
    return data


_TORTURE = sorted(entries().items())
torture = st.sampled_from([e.data for _, e in _TORTURE] + [e.wire for _, e in _TORTURE])

# ----- SIP-shaped noise --------------------------------------------------------------------------

_NAMES = [b"Via", b"v", b"From", b"f", b"To", b"t", b"Call-ID", b"i", b"CSeq", b"Max-Forwards",
          b"Contact", b"m", b"Route", b"Record-Route", b"Path", b"Expires", b"Min-Expires",
          b"Content-Type", b"c", b"Content-Length", b"l", b"Retry-After", b"Supported", b"k",
          b"Require", b"Proxy-Require", b"Unsupported", b"Allow", b"WWW-Authenticate",
          b"Proxy-Authenticate", b"Authorization", b"Proxy-Authorization", b"X-Ext"]  # fmt: skip
_VALUE_PIECES = [b"SIP/2.0/UDP ", b"SIP / 2.0 / TCP ", b"192.0.2.1", b"[2001:db8::1]", b":5060",
                 b"host.example", b";branch=z9hG4bK1", b";received=", b";rport", b";rport=",
                 b"<sip:a@b>", b"sip:a@b", b'"Al\\"ice" ', b"Bob ", b";tag=1", b";q=0.5",
                 b";expires=", b"1", b"4294967296", b"0", b"70", b" INVITE", b"*", b"application",
                 b"/sdp", b";charset=x", b" (comment)", b";duration=1", b"Digest ", b"realm=",
                 b'"r"', b", ", b",", b";", b"=", b'"', b"<", b">", b" ", b"\t", b"\r\n ",
                 b"\\", b"%41", b"%", b"sips:", b"tel:+1", b"x:y", b"\xff",
                 b"\xc3\xa9"]  # fmt: skip
_STARTS = [b"INVITE sip:bob@example.com SIP/2.0", b"REGISTER sip:example.com SIP/2.0",
           b"OPTIONS sips:[2001:db8::1]:5061 SIP/2.0", b"FOO tel:+1 SIP/2.0", b"SIP/2.0 200 OK",
           b"SIP/2.0 404 ", b"ACK * SIP/2.0", b"INVITE sip:a SIP/3.0", b"SIP/2.0 099 x",
           b"INVITE  sip:a  SIP/2.0", b"invite sip:a sip/2.0"]  # fmt: skip
_value = st.lists(st.sampled_from(_VALUE_PIECES), max_size=8).map(b"".join)
_line = st.tuples(st.sampled_from(_NAMES), st.sampled_from([b": ", b":", b" : "]), _value).map(
    b"".join
)
sip_noise = st.builds(
    lambda start, lines, eol, body: eol.join([start, *lines, b""]) + eol + body,
    st.sampled_from(_STARTS),
    st.lists(_line, max_size=14),
    st.sampled_from([b"\r\n", b"\r\n", b"\n"]),
    st.binary(max_size=16),
)

# ----- properties --------------------------------------------------------------------------------


@settings(max_examples=budget(400), deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    exercise(data)


@settings(max_examples=budget(500), deadline=None)
@given(sip_noise)
def test_sip_shaped_noise(data: bytes) -> None:
    exercise(data)


@settings(max_examples=budget(600), deadline=None)
@given(torture, mutations)
def test_mutated_torture_messages(data: bytes, ops: list[tuple[Any, ...]]) -> None:
    exercise(mutated(data, ops))


@settings(max_examples=budget(300), deadline=None)
@given(messages(), mutations)
def test_mutated_valid_messages(g: Generated, ops: list[tuple[Any, ...]]) -> None:
    exercise(mutated(g.data, ops))


@pytest.mark.parametrize("name", [name for name, _ in _TORTURE])
def test_torture_message_as_is(name: str) -> None:
    exercise(entries()[name].data)
    exercise(entries()[name].wire)


@settings(max_examples=budget(300), deadline=None)
@given(
    sip_noise | st.binary(max_size=300),
    st.sampled_from([400, 413, 416, 420, 501, 505]),
    st.text(max_size=30),
)
def test_stateless_error_never_raises(data: bytes, status: int, reason: str) -> None:
    check_reply(data, ParseError(reason or "x", status))


# ----- reproducers of bugs these properties found (fixed in ce78854, failing before it) ----

_BASE = (
    b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK74bf9\r\n"
    b"From: <sip:alice@example.com>;tag=9fxc\r\nTo: <sip:bob@example.com>\r\nCall-ID: 38482\r\n"
    b"CSeq: 1 OPTIONS\r\n"
)
_DIGITS = b"9" * 4301  # one more than CPython's int-from-str limit (sys.get_int_max_str_digits())


@pytest.mark.parametrize(
    "header",
    [b"Expires: ", b"Min-Expires: ", b"Retry-After: ", b"Contact: <sip:a@b>;expires="],
    ids=["expires", "min_expires", "retry_after", "contact_expires"],
)
def test_delta_seconds_with_more_digits_than_int_parses(header: bytes) -> None:
    exercise(_BASE + header + _DIGITS + b"\r\nContent-Length: 0\r\n\r\n")


def test_stateless_reply_to_a_full_size_request_still_parses() -> None:
    head = _BASE.replace(b"From: <sip:alice@example.com>;tag=9fxc\r\n", b"")
    pad = b"X" * (65535 - len(head) - len(b"Via: SIP/2.0/UDP h;x=\r\n\r\n"))
    data = head + b"Via: SIP/2.0/UDP h;x=" + pad + b"\r\n\r\n"
    assert len(data) == 65535
    exercise(data)  # "missing From": the 400 copies Via + To, adds a tag and Content-Length


def _slow(message: Message, what: str) -> None:
    if what == "validate":
        attempt(message.validate)
    elif what == "subject":
        message.header("subject")
    else:
        attempt(lambda: message.retry_after)


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (b"Via: SIP/2.0/UDP h;branch=z9hG4bK1" + b" " * 10_000 + b"x\r\n ;a=b", "validate"),
        (b"Subject: a" + b"\t" * 10_000 + b"x\r\n b", "subject"),
        (b"Retry-After: 1" + b" " * 10_000 + b"x", "retry_after"),
    ],
    ids=["folded_via", "folded_subject", "retry_after"],
)
def test_long_whitespace_runs_take_linear_time(line: bytes, what: str) -> None:
    """10,000 blanks, then a non-blank: quadratic scanning costs ~1 s here, linear ~1 ms."""
    message = parse_datagram(_BASE + line + b"\r\nContent-Length: 0\r\n\r\n")
    started = time.process_time()
    _slow(message, what)
    assert time.process_time() - started < 0.25
