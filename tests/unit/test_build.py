"""Which build the suite runs against: scripts/test runs it twice, on the pure tree and on the
mypyc-compiled one, and says which it expects in SIPWARDEN_EXPECT_BUILD, so the second run cannot
silently test the pure code again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sipwarden import __version__
from sipwarden.build import build_info


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
