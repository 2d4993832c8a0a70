"""docs/admin.md's curl examples work as written; docs/metrics.md names every metric family."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shlex
import shutil
from pathlib import Path

import pytest

from sipwarden.admin import start_admin, stop_admin
from sipwarden.config import AdminSection, Config
from sipwarden.observe.metrics import Metrics
from tests.integration.admin.helpers import fake_backend
from tests.integration.conftest import run

DOCS = Path(__file__).parents[3] / "docs"
LOCAL = "127.0.0.1:8088"


def _curl_examples() -> list[str]:
    text = (DOCS / "admin.md").read_text(encoding="utf-8")
    return [
        line[2:]
        for line in text.splitlines()
        if line.startswith("$ curl") and LOCAL in line and " -N " not in line
    ]


async def _run_examples(examples: list[str], tmp_path: Path) -> list[tuple[str, int, str]]:
    backend = fake_backend()
    config = dataclasses.replace(
        Config(),
        server=dataclasses.replace(Config().server, data_dir=str(tmp_path)),
        admin=AdminSection(listen="127.0.0.1:0"),
    )
    server = await start_admin(backend, backend.bus, Metrics(), config)
    results = []
    try:
        for example in examples:
            argv = shlex.split(example.replace(LOCAL, f"127.0.0.1:{server.port}"))
            process = await asyncio.create_subprocess_exec(
                *argv[:1], "-sS", "-f", "--max-time", "5", *argv[1:],
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await process.communicate()
            results.append((example, process.returncode or 0, (out + err).decode()))
    finally:
        await stop_admin(server)
    return results


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_succeeds(tmp_path: Path) -> None:
    examples = _curl_examples()
    assert len(examples) >= 15
    for example, code, output in run(_run_examples(examples, tmp_path), timeout=60):
        assert code == 0, f"{example}: {output}"


def test_metrics_md_lists_exactly_the_families() -> None:
    metrics = Metrics()
    metrics.watch_transports(dict)
    exposed = {m.name for m in metrics.registry.collect()}
    names = {
        name if not name.endswith("_total") else name[: -len("_total")]
        for name in re.findall(r"^\| `(sipwarden_\w+)` \|", (DOCS / "metrics.md").read_text(), re.M)
    }
    assert names == exposed
    in_admin = re.findall(r"^\| `(sipwarden_\w+)` \|", (DOCS / "admin.md").read_text(), re.M)
    assert {n.removesuffix("_total") for n in in_admin} == exposed
