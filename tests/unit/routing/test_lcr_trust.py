"""LCR by longest prefix, and trusted peers by CIDR and by TLS certificate."""

from __future__ import annotations

from sipwarden.routing import LcrEntry, LcrTable

from .conftest import Compile

TRUST = """
[[trusted]]
name = "carrier-a"
source = ["192.0.2.0/24", "2001:db8::/32"]

[[trusted]]
name = "sbc"
tls_names = ["SBC.Carrier-B.net"]
tls_fingerprints = ["sha256:ab:cd:ef"]

[[trusted]]
name = "pbx"
source = "198.51.100.7"
tls_names = ["pbx.example.com"]
destinations = ['\\+49\\d+']
"""


def test_lcr_longest_prefix_wins() -> None:
    table = LcrTable(
        (
            LcrEntry("+49", ("de",)),
            LcrEntry("+4930", ("berlin", "de")),
            LcrEntry("", ("world",)),
            LcrEntry("+493", ("east",)),
        )
    )
    assert table.lookup("+4930123") == LcrEntry("+4930", ("berlin", "de"))
    assert table.lookup("+4931") == LcrEntry("+493", ("east",))
    assert table.lookup("+4989") == LcrEntry("+49", ("de",))
    assert table.lookup("+1555") == LcrEntry("", ("world",))
    assert table.lookup(None) is None
    assert LcrTable((LcrEntry("+49", ("de",)),)).lookup("+1") is None


def test_lcr_from_the_config(compile_text: Compile) -> None:
    routing = compile_text(
        '[gateways.de]\ndestinations = ["sip:de.example.net"]\n'
        '[gateways.world]\ndestinations = ["sip:world.example.net"]\n'
        '[lcr]\n"+49" = ["de", "world"]\n"" = "world"\n'
    )
    assert routing.lcr.entries == (LcrEntry("+49", ("de", "world")), LcrEntry("", ("world",)))


def test_trusted_by_cidr(compile_text: Compile) -> None:
    trust = compile_text(TRUST).trust
    peer = trust.match("192.0.2.77", ())
    assert peer is not None and peer.name == "carrier-a" and peer.line == 2
    assert trust.match("2001:db8::1") is not None
    assert trust.match("192.0.3.1") is None
    assert trust.match("not an address") is None


def test_trusted_by_certificate_name_or_fingerprint(compile_text: Compile) -> None:
    trust = compile_text(TRUST).trust
    by_name = trust.match("203.0.113.5", ["sbc.carrier-b.NET"])
    assert by_name is not None and by_name.name == "sbc"
    by_print = trust.match("203.0.113.5", ["other.example", "SHA256:AB:CD:EF"])
    assert by_print is not None and by_print.name == "sbc"
    assert trust.match("203.0.113.5", ["evil.example"]) is None


def test_source_and_certificate_must_both_hold_when_both_are_set(compile_text: Compile) -> None:
    trust = compile_text(TRUST).trust
    peer = trust.match("198.51.100.7", ["pbx.example.com"])
    assert peer is not None and peer.name == "pbx"
    assert trust.match("198.51.100.7", []) is None
    assert trust.match("198.51.100.8", ["pbx.example.com"]) is None


def test_destinations_limit(compile_text: Compile) -> None:
    trust = compile_text(TRUST).trust
    pbx = trust.match("198.51.100.7", ["pbx.example.com"])
    assert pbx is not None
    assert pbx.allows("+4930123") and not pbx.allows("+1555") and not pbx.allows(None)
    carrier = trust.match("192.0.2.1")
    assert carrier is not None and carrier.allows(None)
