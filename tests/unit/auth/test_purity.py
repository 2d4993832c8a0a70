"""The auth package stays sans-IO (STYLE 1): the pure modules load no asyncio, socket or time;
only nonce_counts.py (storage) and store.py (the CredentialStore Protocol) define async methods;
os.urandom appears only as a default argument, never as a call."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import sipwarden.auth

AUTH_DIR = Path(sipwarden.auth.__file__).parent
PURE = ("config", "nonce", "compute", "outcome", "digest_auth", "hashes")
ASYNC_ALLOWED = {"nonce_counts.py", "store.py"}
FORBIDDEN = ("asyncio", "socket", "time")

PROBE = """
import importlib, json, sys
for name in {forbidden!r}:
    sys.modules.pop(name, None)
for module in {modules!r}:
    importlib.import_module("sipwarden.auth." + module)
print(json.dumps(sorted(n for n in {forbidden!r} if n in sys.modules)))
"""


def test_pure_modules_load_no_io_or_clock() -> None:
    code = PROBE.format(forbidden=FORBIDDEN, modules=PURE)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def _trees() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text()) for path in sorted(AUTH_DIR.glob("*.py"))}


def test_only_storage_modules_are_async() -> None:
    for name, tree in _trees().items():
        has_async = any(isinstance(node, ast.AsyncFunctionDef) for node in ast.walk(tree))
        assert not has_async or name in ASYNC_ALLOWED, name


def test_urandom_is_only_a_default_argument() -> None:
    for name, tree in _trees().items():
        defaults = {
            id(default)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for default in (*node.args.defaults, *node.args.kw_defaults)
            if default is not None
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "urandom":
                assert id(node) in defaults, f"{name}:{node.lineno}"
