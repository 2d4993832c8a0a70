"""docs/dns.md: the planner example prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "dns.md"


def test_the_example_prints_the_documented_list() -> None:
    text = DOC.read_text(encoding="utf-8")
    [block] = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    printed = re.search(r"which prints.*?```text\n(.*?)```", text, re.DOTALL)
    assert printed is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(DOC), "exec"), {})
    assert out.getvalue() == printed.group(1)
