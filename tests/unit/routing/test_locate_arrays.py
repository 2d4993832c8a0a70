"""config/locate.py finds the keys of each element of an array of tables."""

from __future__ import annotations

from sipwarden.config.locate import Locator

TEXT = """[server]
domains = ["example.com"]

[[rules]]
name = "a"

[[rules]]
name = "b"
[rules.match]
method = "INVITE"

[[gateways.pstn.destinations]]
uri = "sip:a"
[[gateways.pstn.destinations]]
uri = "sip:b"
"""


def test_each_element_has_its_own_path() -> None:
    locator = Locator(TEXT)
    assert locator.line("rules", "#0", "name") == 5
    assert locator.line("rules", "#1", "name") == 8
    assert locator.line("rules", "#1", "match", "method") == 10
    assert locator.line("gateways", "pstn", "destinations", "#1", "uri") == 15


def test_unindexed_paths_still_find_the_first_header() -> None:
    locator = Locator(TEXT)
    assert locator.line("rules") == 4
    assert locator.line("server", "domains") == 2
