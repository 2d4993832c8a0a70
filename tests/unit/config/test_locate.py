"""The line locator: tables, keys, dotted keys, inline tables, array items, fallbacks."""

from __future__ import annotations

from sipwarden.config.locate import Locator

TEXT = """\
# comment
top = 1
a.b = 2

[server]
listen = [
  "udp:0.0.0.0:5060",
  'tcp:0.0.0.0:5060',
]
"quoted key" = 3
[tls]   # trailing comment
inline = { x = 1, "y" = 2 }
text = '''
fake = 1
[fake]
'''
[ deep . "er" ]
after = 1
"""


def test_tables_and_keys() -> None:
    locator = Locator(TEXT)
    assert locator.line("top") == 2
    assert locator.line("server") == 5
    assert locator.line("server", "listen") == 6
    assert locator.line("server", "quoted key") == 10
    assert locator.line("tls") == 11


def test_dotted_keys_and_their_prefixes() -> None:
    locator = Locator(TEXT)
    assert locator.line("a") == 3
    assert locator.line("a", "b") == 3
    assert locator.line("deep", "er") == 17
    assert locator.line("deep", "er", "after") == 18


def test_inline_table_keys() -> None:
    locator = Locator(TEXT)
    assert locator.line("tls", "inline", "x") == 12
    assert locator.line("tls", "inline", "y") == 12


def test_multiline_strings_are_skipped() -> None:
    locator = Locator(TEXT)
    assert locator.line("fake") is None
    assert not locator.exact(("tls", "fake"))


def test_fallback_to_the_enclosing_table() -> None:
    locator = Locator(TEXT)
    assert locator.line("server", "missing") == 5
    assert not locator.exact(("server", "missing"))
    assert locator.line("nowhere") is None


def test_array_items() -> None:
    locator = Locator(TEXT)
    assert locator.item_line(("server", "listen"), "udp:0.0.0.0:5060") == 7
    assert locator.item_line(("server", "listen"), "tcp:0.0.0.0:5060") == 8
    assert locator.item_line(("server", "listen"), "absent") == 6
    assert locator.item_line(("server", "other"), "x") == 5
