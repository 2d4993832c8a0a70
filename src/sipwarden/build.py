"""Which build of sipwarden is running: "compiled" (the hot modules are mypyc extension modules,
setup.py) or "pure" (plain Python, SIPWARDEN_PURE=1 or no compiler). Both behave the same; the
compiled one is faster (docs/performance.md). Shown by `sipwarden version` and the ready line."""

from __future__ import annotations

import importlib.machinery

from sipwarden.sip import message


def build_info() -> str:
    """ "compiled" when the message layer is an extension module, else "pure"."""
    origin = getattr(message, "__file__", None) or ""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return "compiled" if origin.endswith(suffixes) else "pure"
