"""Coverage-guided fuzzing of the SIP message layer with atheris (libFuzzer for Python).

How this works: each input is one datagram. It goes through everything sipwarden offers for
untrusted bytes: parse_datagram, every typed accessor (and the URIs, q and expires inside them),
validate, a serialize/reparse round trip, the relay edits of a proxy (push Via, decrement
Max-Forwards, Record-Route) with a reparse of the result, build_response, the TCP StreamFramer
(fed in two cuts) and stateless_error. ParseError is the expected answer to bad input; any other
exception, or a broken promise checked by an assert (a reply that does not parse, a reparse that
differs), is a crash: libFuzzer stops and writes the input to crash-<sha1>.

Seeds: the RFC 4475 / RFC 5118 torture messages, read at startup from ../shared/conformance
beside the project root, both as stored and in their CRLF wire form; they are handed to libFuzzer
with -seed_inputs, so nothing is written into that directory. Directories given on the command
line are libFuzzer corpus directories as usual (the first one receives new inputs). See README.md.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import atheris

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT / "src"))  # fuzz this checkout, whatever else is installed

with atheris.instrument_imports():
    from sipwarden.errors import ParseError
    from sipwarden.sip import (
        KeepAlive,
        Message,
        Request,
        Response,
        StreamFramer,
        build_response,
        parse_datagram,
        stateless_error,
    )

MAX_SIZE = 65535
ACCESSORS = (
    "vias", "top_via", "from_", "to", "call_id", "cseq", "max_forwards", "contacts", "routes",
    "record_routes", "paths", "expires", "min_expires", "content_type", "retry_after",
    "supported", "require", "proxy_require", "unsupported", "allow", "www_authenticate",
    "proxy_authenticate", "authorization", "proxy_authorization",
)  # fmt: skip
PARTS = (
    "uri", "q", "expires", "tag", "display_name", "is_star", "params",  # name-addr
    "branch", "received", "rport", "wants_rport", "maddr", "sent_by", "host", "port",  # Via
)  # fmt: skip


def attempt(get: Callable[[], Any]) -> Any:
    """Run `get`: a well-formed ParseError is returned, any other exception propagates."""
    try:
        return get()
    except ParseError as error:
        assert 400 <= error.status <= 599, error
        assert error.reason and error.reason.isprintable(), error
        return error


def touch_everything(m: Message) -> None:
    for name in ACCESSORS:
        value = attempt(lambda name=name: getattr(m, name))
        for item in value if isinstance(value, list) else [value]:
            if item is None or isinstance(item, ParseError | str | int):
                continue
            for part in PARTS:
                if hasattr(type(item), part):
                    attempt(lambda item=item, part=part: getattr(item, part))
            str(item)
    if isinstance(m, Request):
        attempt(lambda: m.uri)
    for name, _ in attempt(lambda: list(m.items())):
        attempt(lambda name=name: m.values(name))
        attempt(lambda name=name: m.tokens(name))


def check_reply(data: bytes, error: ParseError) -> None:
    reply = stateless_error(data, error)
    if reply is not None:
        response = parse_datagram(reply)  # a ParseError here is a crash: the reply is unreadable
        assert isinstance(response, Response) and response.status == error.status


def reparse(m: Message) -> Message | None:
    wire = m.serialize()
    if len(wire) > MAX_SIZE:
        return None
    again = parse_datagram(wire)
    if not m.has("content-length"):
        again.remove_header("content-length")  # serialize() adds it to an edited message
    assert again == m, (wire, m.serialize())
    return again


def relay(data: bytes, m: Message) -> None:
    if isinstance(m, Request):
        m.push_via("SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKproxy1")
        m.decrement_max_forwards()
        m.insert_header("Record-Route", "<sip:192.0.2.9;lr>")
    elif len(m.vias) > 1:
        m.pop_via()
    again = reparse(m)
    if again is not None:
        again.validate()
    original = parse_datagram(data)
    if isinstance(original, Request):
        original.validate()
        for status in (100, 200, 404):
            response = parse_datagram(build_response(original, status).serialize())
            assert isinstance(response, Response) and response.status == status


def frame(data: bytes) -> None:
    framer = StreamFramer()
    framer.feed(data[: len(data) // 2])
    event = attempt(framer.next_event)
    framer.feed(data[len(data) // 2 :] + data)
    for _ in range(8):
        if event is None or isinstance(event, ParseError):
            break
        if isinstance(event, Message):
            touch_everything(event)
            attempt(event.validate)
        else:
            assert isinstance(event, KeepAlive)
        event = attempt(framer.next_event)
    if isinstance(event, ParseError):
        check_reply(data, event)


def fuzz_one_input(data: bytes) -> None:
    result = attempt(lambda: parse_datagram(data))
    if isinstance(result, ParseError):
        check_reply(data, result)
    else:
        touch_everything(result)
        reparse(result)
        valid = attempt(result.validate)
        if isinstance(valid, ParseError):
            check_reply(data, valid)
        else:
            relay(data, result)
    frame(data)


# ----- seeds and defaults ------------------------------------------------------------------------


def wire_form(data: bytes) -> bytes:
    """The CRLF form of a stored torture message (RFC 5118's archive uses bare LF)."""
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data if b"\r\n\r\n" in data else data.rstrip(b"\r\n") + b"\r\n\r\n"


def seed_files(directory: Path) -> list[str]:
    """The torture files, plus their wire forms written to a temporary directory."""
    stored = sorted(directory.glob("**/*.dat"))
    scratch = Path(tempfile.mkdtemp(prefix="sipwarden-seeds-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    extra: list[str] = []
    for path in stored:
        data = path.read_bytes()
        wire = wire_form(data)
        if wire != data:
            target = scratch / f"{path.parent.name}-{path.name}"
            target.write_bytes(wire)
            extra.append(str(target))
    return [str(p) for p in stored] + extra


def libfuzzer_args(argv: list[str]) -> list[str]:
    """argv plus the torture seeds and this target's defaults for flags not given."""
    args = list(argv)
    given = {arg.split("=", 1)[0] for arg in args[1:] if arg.startswith("-")}
    defaults = {
        "-dict": str(HERE / "sip.dict"),
        "-max_len": "8192",  # room for >4300-digit numbers and long folded lines
        "-timeout": "10",  # a unit that slow is a bug (quadratic scanning), not bad luck
    }
    args += [f"{flag}={value}" for flag, value in defaults.items() if flag not in given]
    seeds = seed_files(CONFORMANCE) if CONFORMANCE.is_dir() else []
    if seeds and "-seed_inputs" not in given:
        args.append("-seed_inputs=" + ",".join(seeds))
    elif not seeds:
        print(f"fuzz_parser: no torture corpus at {CONFORMANCE}; no seeds", file=sys.stderr)
    return args


def main() -> None:
    atheris.Setup(libfuzzer_args(sys.argv), fuzz_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
