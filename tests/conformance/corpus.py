"""Loads ../shared/conformance (RFC 4475 and RFC 5118 torture messages) byte-exact.

The corpus lives beside the project root; SIPWARDEN_CONFORMANCE may point elsewhere. Every file
is checked against the manifest's SHA-256 before a test sees it, so a changed checkout fails
loudly instead of testing something else.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    override = os.environ.get("SIPWARDEN_CONFORMANCE")
    return Path(override) if override else ROOT.parent / "shared" / "conformance"


@dataclass(frozen=True)
class Entry:
    name: str
    corpus: str
    verdict: str
    meta: dict[str, Any]
    data: bytes  # the file's bytes, exactly

    @property
    def wire(self) -> bytes:
        """The bytes to feed as one datagram (README: RFC 5118 needs a wire form built)."""
        return wire_form(self)


@cache
def manifest() -> dict[str, Any]:
    with open(corpus_dir() / "manifest.toml", "rb") as handle:
        return tomllib.load(handle)


@cache
def entries() -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for meta in manifest()["message"]:
        data = (corpus_dir() / meta["file"]).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != meta["sha256"]:
            raise AssertionError(f"{meta['file']}: SHA-256 {digest} != manifest {meta['sha256']}")
        out[meta["name"]] = Entry(meta["name"], meta["corpus"], meta["verdict"], meta, data)
    return out


def wire_form(entry: Entry) -> bytes:
    """LF -> CRLF, close an unterminated header section, recompute Content-Length (RFC 5118);
    RFC 4475 files are used as they are, except baddn whose header section the archive leaves
    open (the conformance README allows adding the CRLF)."""
    data = entry.data
    if entry.corpus == "rfc4475":
        if not entry.meta["header_section_terminated"]:
            return data + b"\r\n"
        return data
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if b"\r\n\r\n" not in data:
        data = data.rstrip(b"\r\n") + b"\r\n\r\n"
    head, _, body = data.partition(b"\r\n\r\n")
    head = re.sub(
        rb"(?im)^(content-length|l)[ \t]*:[ \t]*[0-9]+$",
        lambda m: m.group(1) + b": " + str(len(body)).encode(),
        head,
    )
    return head + b"\r\n\r\n" + body
