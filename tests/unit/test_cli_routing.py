"""`sipwarden check-config` and `sipwarden explain`, in-process and once as a subprocess; the
examples and sample outputs in docs/routing.md are checked against the real commands."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sipwarden import cli
from sipwarden.config import load_config
from sipwarden.routing import Routing, compile_rules

DOC = Path(__file__).parents[2] / "docs" / "routing.md"
TEXT = DOC.read_text(encoding="utf-8")
TOML_BLOCKS = re.findall(r"```toml\n(.*?)```", TEXT, re.DOTALL)
CONSOLE_BLOCKS = re.findall(r"```console\n(.*?)```", TEXT, re.DOTALL)
SAMPLE = next(block for block in TOML_BLOCKS if block.startswith("[server]"))
BROKEN = next(block for block in TOML_BLOCKS if 'gateway = "carrier-c"' in block)

GOOD = """[server]
domains = ["example.com"]

[gateways.pstn]
destinations = ["sip:gw1.example.net", "sip:gw2.example.net"]

[[rules]]
name = "pstn"
match = { ruri_user = '\\+(\\d+)' }
forward = { gateway = "pstn" }

[[rules]]
name = "local"
match = { ruri_local = true }
lookup = true
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sipwarden.toml").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_config_ok(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check-config", "good.toml") == (
        0,
        "good.toml: ok, 2 rules, 1 gateway group\n",
        "",
    )


def test_check_config_without_rules_counts_the_default_rules(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("plain.toml").write_text("", encoding="utf-8")
    assert run(capsys, "check-config", "plain.toml") == (
        0,
        "plain.toml: ok, 4 rules, 0 gateway groups\n",
        "",
    )


def test_check_config_prints_every_routing_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "check-config", "broken.toml")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        'broken.toml:3: [[rules]] 1 "pstn": match.ruri_user: invalid regular expression'
        ' "\\\\+(\\\\d+": missing ), unterminated subpattern at position 2',
        'broken.toml:8: [[rules]] 2 "b": forward.gateway: no gateway group "carrier-c"'
        " (groups: none defined)",
    ]


def test_check_config_prints_other_config_errors(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("bad.toml").write_text("[server]\ndomain = []\n", encoding="utf-8")
    code, out, err = run(capsys, "check-config", "bad.toml")
    assert (code, out) == (1, "")
    assert err.startswith('bad.toml:2: [server] unknown key "domain"')
    code, _, err = run(capsys, "check-config", "missing.toml")
    assert code == 1 and err.startswith("missing.toml: cannot read:")


def test_explain_lookup(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "--config", "good.toml", "INVITE sip:alice@example.com")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "request: INVITE sip:alice@example.com",
        "from: alice@example.com via udp from 127.0.0.1",
        "rules: good.toml",
        'rule 1 "pstn", line 7: no match: ruri_user "alice" does not match \'\\+(\\d+)\'',
        'rule 2 "local", line 12: matched: ruri_local is true',
        "=> location lookup for sip:alice@example.com",
    ]


def test_explain_gateway_order(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "explain",
        "--config",
        "good.toml",
        "INVITE sip:+4930123@example.com",
        "--transport",
        "tls",
        "--header",
        "X-A: 1",
    )
    assert code == 0
    assert out.splitlines()[-4:] == [
        "=> forward sip:+4930123@example.com via gateway group(s) pstn",
        "gateway group pstn (round_robin), all destinations up:",
        "  1. sip:+4930123@gw1.example.net",
        "  2. sip:+4930123@gw2.example.net",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["INVITE"], "sipwarden: explain: expected 'METHOD URI', got 'INVITE'"),
        (["INVITE sip:a@b", "--header", "nocolon"], "expected --header 'Name: value'"),
        (["INVITE sip:a@b", "--at", "tomorrow"], "Invalid isoformat string: 'tomorrow'"),
        (["INVITE sip:"], "sipwarden: explain: "),
    ],
)
def test_explain_bad_arguments(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "explain", "--config", "good.toml", *args)
    assert (code, out) == (1, "")
    assert message in err


def test_explain_with_a_broken_config(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "--config", "broken.toml", "INVITE sip:a@b")
    assert (code, out) == (1, "")
    assert err.startswith("broken.toml:3: ")


# ----- docs/routing.md -------------------------------------------------------------------------
@pytest.mark.parametrize("block", [b for b in TOML_BLOCKS if b is not BROKEN])
def test_every_toml_example_in_the_docs_compiles(tmp_path: Path, block: str) -> None:
    path = tmp_path / "example.toml"
    path.write_text(block, encoding="utf-8")
    assert isinstance(compile_rules(load_config(path)), Routing)


@pytest.mark.parametrize("block", CONSOLE_BLOCKS)
def test_docs_console_samples_are_real_output(
    workdir: Path, capsys: pytest.CaptureFixture[str], block: str
) -> None:
    command, *expected = block.splitlines()
    assert command.startswith("$ sipwarden ")
    code, out, err = run(capsys, *shlex.split(command)[2:])
    assert (out + err).splitlines() == expected
    assert code == (1 if "broken.toml" in command else 0)


def test_docs_have_three_explain_samples() -> None:
    assert sum(block.startswith("$ sipwarden explain") for block in CONSOLE_BLOCKS) == 3


def test_subprocess(workdir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sipwarden", "check-config", "good.toml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "good.toml: ok, 2 rules, 1 gateway group\n")
    done = subprocess.run(
        [sys.executable, "-m", "sipwarden", "explain", "--config", "good.toml", "OPTIONS sip:x@y"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "=> reply 404 Not Found"
