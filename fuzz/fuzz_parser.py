"""Coverage-guided fuzzing of the SIP message layer with atheris (libFuzzer for Python).

How this works: each input is one datagram, handed to `exercise` from tests/property/exercise.py
(the same routine the hostile-input property tests run): parse_datagram, every typed accessor
(and the URIs, q and expires inside them), validate, a serialize/reparse round trip, the relay
edits of a proxy (push Via, decrement Max-Forwards, Record-Route) with a reparse of the result,
build_response, the TCP StreamFramer (fed in two cuts) and stateless_error. ParseError is the
expected answer to bad input; any other exception, or a broken promise checked by an assert (a
reply that does not parse, a reparse that differs), is a crash: libFuzzer stops and writes the
input to crash-<sha1>.

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
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT / "src"))  # fuzz this checkout, whatever else is installed

sys.path.insert(0, str(ROOT))  # the shared exercise lives in the test tree

with atheris.instrument_imports():
    from tests.property.exercise import exercise

# One input goes through exactly what the hostile-input property tests run
# (tests/property/exercise.py), so the fuzzer and the suite check the same promises.
fuzz_one_input = exercise


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
