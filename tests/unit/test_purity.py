"""The pure packages never import asyncio, socket or time (STYLE: sans-IO core).

Checked in a fresh interpreter: the forbidden modules are taken out of `sys.modules` first
(CPython imports `time` during start-up), every module of the packages is imported, and then
(1) none of the forbidden modules is back in `sys.modules`, and (2) no sipwarden module ran an
import statement naming one of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PACKAGES = ("sipwarden.sip", "sipwarden.transaction", "sipwarden.registrar")
FORBIDDEN = ("asyncio", "socket", "time")

PROBE = """
import builtins, importlib, json, pkgutil, sys

packages, forbidden = {packages!r}, {forbidden!r}
for name in forbidden:
    sys.modules.pop(name, None)
before = set(sys.modules)
direct = []
real_import = builtins.__import__

def spy(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {{}}).get("__name__") or ""
    if importer.startswith("sipwarden") and level == 0 and name.split(".")[0] in forbidden:
        direct.append([importer, name])
    return real_import(name, globals, locals, fromlist, level)

builtins.__import__ = spy
modules = []
for package in packages:
    root = importlib.import_module(package)
    modules.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
        modules.append(info.name)
builtins.__import__ = real_import
loaded = sorted(name for name in set(sys.modules) - before if name.split(".")[0] in forbidden)
print(json.dumps({{"modules": modules, "loaded": loaded, "direct": direct}}))
"""


def run_probe() -> dict[str, list[str]]:
    code = PROBE.format(packages=PACKAGES, forbidden=FORBIDDEN)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
        timeout=60,
    )
    result: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_pure_packages_import_no_io_or_clock() -> None:
    result = run_probe()
    assert "sipwarden.transaction.table" in result["modules"]
    assert "sipwarden.sip.message" in result["modules"]
    assert result["loaded"] == []
    assert result["direct"] == []
