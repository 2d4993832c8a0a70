"""`[[trusted]]` from the config file (pure); see docs/routing.md."""

from __future__ import annotations

import re

from sipwarden.routing import reader as r
from sipwarden.routing.trust import TrustedPeer, fingerprint

Path = r.Path
PEER_KEYS = ("name", "source", "tls_names", "tls_fingerprints", "destinations")
FINGERPRINT_RE = re.compile(r"(sha256|sha384|sha512|sha1):([0-9A-Fa-f]{2}:?)+")


def parse_peer(raw: object, line: int | None) -> TrustedPeer:
    values = r.table(raw, ())
    r.known_keys(values, PEER_KEYS, ())
    if "name" not in values:
        raise r.Bad((), "a trusted peer needs a name")
    name = r.name(values["name"], ("name",))
    if not any(k in values for k in ("source", "tls_names", "tls_fingerprints")):
        raise r.Bad((), "a trusted peer needs source, tls_names or tls_fingerprints")
    networks = r.networks(values["source"], ("source",)) if "source" in values else ()
    names = frozenset(n.lower() for n in _list(values, "tls_names"))
    prints = frozenset(_fingerprint(text) for text in _list(values, "tls_fingerprints"))
    destinations = tuple(r.regex(text, ("destinations",)) for text in _list(values, "destinations"))
    return TrustedPeer(name, networks, names, prints, destinations, line)


def _list(values: dict[str, object], key: str) -> list[str]:
    return r.strings(values[key], (key,)) if key in values else []


def _fingerprint(text: str) -> str:
    if not FINGERPRINT_RE.fullmatch(text.rstrip(":")):
        raise r.Bad(("tls_fingerprints",), f'"{text}" is not like "sha256:AB:CD:..."', text)
    return fingerprint(text)
