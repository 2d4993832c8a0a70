"""Which build the suite runs against: scripts/test runs it twice, on the pure tree and on the
mypyc-compiled one, and says which it expects in SIPWARDEN_EXPECT_BUILD, so the second run cannot
silently test the pure code again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mypy.api
import pytest

from sipwarden import __version__
from sipwarden.build import build_info

ROOT = Path(__file__).resolve().parents[2]


def test_the_build_is_the_one_expected() -> None:
    expected = os.environ.get("SIPWARDEN_EXPECT_BUILD")
    if expected is None:
        pytest.skip("SIPWARDEN_EXPECT_BUILD not set (scripts/test sets it)")
    assert build_info() == expected


def test_version_names_the_build() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sipwarden", "version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"sipwarden {__version__} ({build_info()})"


def test_the_compiled_modules_build_without_the_runtime_dependencies(tmp_path: Path) -> None:
    """`pip install .` builds in an isolated environment holding only the build requirements:
    mypyc's type check must pass there, where prometheus_client, redis, cryptography... are
    missing (`--no-site-packages` hides them). Without setup.py's BUILD_MYPY_FLAGS this found
    45 errors in modules that are not even compiled, and the README's install command failed."""
    setup = ROOT / "setup.py"
    names: dict[str, Any] = {"__file__": str(setup)}
    exec(compile(setup.read_text().split("def ext_modules")[0], str(setup), "exec"), names)
    modules = [str(ROOT / path) for path in names["compiled_modules"]()]
    report, errors, status = mypy.api.run(
        ["--no-site-packages", "--cache-dir", str(tmp_path), *names["BUILD_MYPY_FLAGS"], *modules]
    )
    assert status == 0, report + errors
