"""sipwarden.routing is pure: no module of it imports asyncio, socket, time or random, and
importing it all loads neither asyncio, socket nor random (datetime itself loads time)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("asyncio", "socket", "time", "random")

PROBE = """
import builtins, importlib, json, pkgutil, sys
forbidden = {forbidden!r}
for name in forbidden:
    sys.modules.pop(name, None)
direct = []
real_import = builtins.__import__

def spy(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {{}}).get("__name__") or ""
    if importer.startswith("sipwarden.routing") and level == 0 and name.split(".")[0] in forbidden:
        direct.append([importer, name])
    return real_import(name, globals, locals, fromlist, level)

builtins.__import__ = spy
import sipwarden.routing as root
names = [info.name for info in pkgutil.walk_packages(root.__path__, "sipwarden.routing.")]
for name in names:
    importlib.import_module(name)
builtins.__import__ = real_import
loaded = [name for name in ("asyncio", "socket", "random") if name in sys.modules]
print(json.dumps({{"modules": names, "loaded": loaded, "direct": direct}}))
"""


def test_routing_is_pure() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=FORBIDDEN)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "sipwarden.routing.table" in result["modules"]
    assert result["direct"] == []
    assert result["loaded"] == []
