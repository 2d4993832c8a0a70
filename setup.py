"""Build hook: compile the hot modules with mypyc unless SIPWARDEN_PURE=1.

Everything else about the package is declared in pyproject.toml. The modules compiled are listed
there under [tool.sipwarden.compile]; they are ordinary typed Python (mypy --strict), which stays
the reference: the suite runs against the pure tree and against the compiled one (scripts/test).
A machine without a C compiler, or SIPWARDEN_PURE=1, gets the pure package, which behaves the
same, only slower (docs/performance.md).
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent


# mypyc type-checks what it compiles with the [tool.mypy] settings (strict). `pip install .`
# builds in an isolated environment that holds only [build-system] requires, not the runtime
# dependencies, so their imports are missing there: strict mode then fails the build on modules
# that are not even compiled (observe/metrics.py's prometheus_client, storage/redis_client.py,
# ...). The compiled modules do not depend on those types, so the build looks past missing
# imports and reports no errors for the modules it only follows; `mypy` itself (scripts/test)
# still checks everything strictly, with the dependencies installed.
BUILD_MYPY_FLAGS = (
    "--ignore-missing-imports",
    "--follow-imports=silent",
    "--allow-subclassing-any",
    "--no-warn-return-any",
    "--no-warn-unused-ignores",
)


def compiled_modules() -> list[str]:
    config = tomllib.loads((HERE / "pyproject.toml").read_text())
    modules: list[str] = config["tool"]["sipwarden"]["compile"]["modules"]
    return [f"src/{module.replace('.', '/')}.py" for module in modules]


def ext_modules() -> list[object]:
    if os.environ.get("SIPWARDEN_PURE") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("sipwarden: mypyc not available, building the pure package", file=sys.stderr)
        return []
    return list(mypycify([*BUILD_MYPY_FLAGS, *compiled_modules()], opt_level="3", debug_level="0"))


setup(ext_modules=ext_modules())
