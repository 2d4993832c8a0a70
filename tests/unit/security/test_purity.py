"""The security package is sans-IO: only `store` may touch the outside world (sqlite3)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
forbidden = ("asyncio", "socket", "time", "random", "sqlite3")
for name in forbidden:
    sys.modules.pop(name, None)
import sipwarden.security as root
names = [info.name for info in pkgutil.walk_packages(root.__path__, "sipwarden.security.")]
for name in names:
    if name != "sipwarden.security.store":
        importlib.import_module(name)
loaded = [name for name in forbidden if name in sys.modules]
print(json.dumps({"modules": names, "loaded": loaded}))
"""


def test_security_imports_no_io_clock_or_randomness() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "sipwarden.security.shield" in result["modules"]
    assert "sipwarden.security.store" in result["modules"]
    assert result["loaded"] == []
