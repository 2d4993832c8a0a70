"""The registrar is pure: importing it loads no clock, socket, event loop or database module."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
forbidden = ("asyncio", "socket", "time", "sqlite3")
for name in forbidden:
    sys.modules.pop(name, None)
root = importlib.import_module("sipwarden.registrar")
for info in pkgutil.walk_packages(root.__path__, "sipwarden.registrar."):
    importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in forbidden)))
"""


def test_registrar_imports_no_io_clock_or_database() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
