"""docs/websocket.md: the Python example works as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "websocket.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)

pytestmark = pytest.mark.timeout(30)


def test_the_example_gets_a_200_with_received_and_rport() -> None:
    [block] = BLOCKS
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(DOC), "exec"), {"__name__": "__main__"})
    assert "'SIP/2.0 200 OK'" in out.getvalue()
    assert re.search(r"received=127\.0\.0\.1;rport=\d+'", out.getvalue())
