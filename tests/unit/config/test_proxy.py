"""[proxy]: the routing mode, Record-Route, Timer C, 3xx recursion and the forwarding depth."""

from __future__ import annotations

from sipwarden.config import Config, ProxySection
from tests.unit.config.conftest import Fails, Load


def test_defaults() -> None:
    assert Config().proxy == ProxySection(
        mode="proxy", record_route=True, timer_c=180, recurse_on_3xx=True, max_forward_hops=5
    )


def test_every_key_set(load: Load) -> None:
    text = (
        "[proxy]\n"
        'mode = "REDIRECT"\n'
        "record_route = false\n"
        "timer_c = 200\n"
        "recurse_on_3xx = false\n"
        "max_forward_hops = 2\n"
    )
    assert load(text).proxy == ProxySection("redirect", False, 200, False, 2)


def test_other_sections_keep_their_defaults(load: Load) -> None:
    config = load('[proxy]\nmode = "redirect"\n')
    assert config.proxy.mode == "redirect"
    assert config.registrar == Config().registrar


def test_error_names_file_line_and_key(fails: Fails) -> None:
    text = "[proxy]\nrecord_route = true\n\ntimer_c = -3\n"
    assert fails(text) == "sipwarden.toml:4: [proxy] timer_c: expected an integer >= 180, got -3"


def test_unknown_key_gets_a_suggestion(fails: Fails) -> None:
    assert fails("[proxy]\nrecurse_on_3xxx = true\n") == (
        'sipwarden.toml:2: [proxy] unknown key "recurse_on_3xxx"; did you mean "recurse_on_3xx"?'
    )


def test_key_outside_the_section_points_at_it(fails: Fails) -> None:
    assert fails("timer_c = 180\n") == (
        "sipwarden.toml:1: timer_c: settings go inside a [section]; did you mean [proxy] timer_c?"
    )
