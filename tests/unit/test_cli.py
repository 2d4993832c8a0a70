"""The `sipwarden` command line, run as a user would."""

from __future__ import annotations

import subprocess
import sys

from sipwarden import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sipwarden", *args], capture_output=True, text=True, timeout=30
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() in {
        f"sipwarden {__version__} (pure)",
        f"sipwarden {__version__} (compiled)",
    }


def test_unknown_command_is_an_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr
