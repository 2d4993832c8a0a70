"""The README's examples work as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_starts_with_the_two_commands() -> None:
    shell = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert shell[0].strip() == "pip install . && sipwarden run"
    assert shell[1].strip() == "./scripts/test"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/test" in ci.splitlines()[-1]


@pytest.mark.parametrize("block", BLOCKS)
def test_python_example_runs(block: str) -> None:
    exec(compile(block, str(README), "exec"), {})


DOCUMENTS = [README, *sorted((README.parent / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_point_at_files(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (document.parent / target).exists(), f"{document.name} links to missing {target}"


def test_readme_explain_samples_are_the_tested_ones_of_docs_routing() -> None:
    """The README copies `sipwarden explain` outputs from docs/routing.md, whose samples
    tests/unit/test_cli_routing.py runs: a copy that drifted would fail here."""
    samples = re.compile(r"```console\n(\$ sipwarden explain.*?)```", re.DOTALL)
    readme = samples.findall(README.read_text(encoding="utf-8"))
    docs = samples.findall((README.parent / "docs" / "routing.md").read_text(encoding="utf-8"))
    assert len(readme) == 3 and readme == docs
