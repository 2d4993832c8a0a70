"""The config package stays pure: importing it loads neither asyncio nor socket.

(`time` is not checked: tomllib imports datetime, which imports it.)
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
for name in ("asyncio", "socket"):
    sys.modules.pop(name, None)
import sipwarden.config as root
names = [info.name for info in pkgutil.walk_packages(root.__path__, "sipwarden.config.")]
for name in names:
    importlib.import_module(name)
loaded = [name for name in ("asyncio", "socket") if name in sys.modules]
print(json.dumps({"modules": names, "loaded": loaded}))
"""


def test_config_imports_no_asyncio_or_socket() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "sipwarden.config.load" in result["modules"]
    assert result["loaded"] == []
