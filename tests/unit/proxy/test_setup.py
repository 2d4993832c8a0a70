"""ProxyConfig validation, ProxyIdentity (Via, Record-Route URIs), groups_by_q, purity."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sipwarden.errors import LocalError
from sipwarden.proxy import Interface, ProxyConfig, ProxyIdentity, Target, groups_by_q
from sipwarden.sip import parse_uri

from .helpers import INTERFACES, SECRET, identity, is_self


def test_config_defaults() -> None:
    config = ProxyConfig()
    assert (config.timer_c, config.max_branches, config.record_route) == (180.0, 16, True)
    assert (config.recurse_on_3xx, config.allowed_schemes) == (True, ("sip", "sips"))
    assert (config.cancel_timeout, config.default_max_forwards) == (32.0, 70)


@pytest.mark.parametrize(
    "bad",
    [
        {"timer_c": 179.0},  # §16.6 step 11: more than 3 minutes
        {"max_branches": 0},
        {"cancel_timeout": 0.0},
        {"default_max_forwards": 0},
        {"allowed_schemes": ()},
        {"allowed_schemes": ("SIP",)},
    ],
)
def test_config_rejects(bad: dict[str, object]) -> None:
    with pytest.raises(LocalError):
        ProxyConfig(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("transport", "port", "uri"),
    [
        ("udp", 5060, "sip:192.0.2.10:5060;lr"),
        ("tcp", 5060, "sip:192.0.2.10:5060;transport=tcp;lr"),
        ("tls", 5061, "sips:192.0.2.10:5061;lr"),
        ("ws", 8080, "sip:192.0.2.10:8080;transport=ws;lr"),
        ("wss", 8443, "sips:192.0.2.10:8443;transport=ws;lr"),
    ],
)
def test_record_route_uri_per_transport(transport: str, port: int, uri: str) -> None:
    interface = Interface(transport, "ipv4", "192.0.2.10", port)
    assert interface.record_route() == uri
    me = ProxyIdentity((interface,), lambda u: False, SECRET)
    assert me.is_record_route(parse_uri(uri))


def test_via_has_branch_and_rport() -> None:
    via = identity().interface(("tls", "ipv4")).via("z9hG4bKsw1.0")
    assert via == "SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKsw1.0;rport"


def test_identity_checks() -> None:
    with pytest.raises(LocalError):
        ProxyIdentity((), is_self, SECRET)
    with pytest.raises(LocalError):
        ProxyIdentity(INTERFACES, is_self, b"short")
    with pytest.raises(LocalError):
        ProxyIdentity(INTERFACES + INTERFACES[:1], is_self, SECRET)
    with pytest.raises(LocalError):
        identity().interface(("ws", "ipv6"))
    with pytest.raises(LocalError):
        Interface("sctp", "ipv4", "192.0.2.10", 5060)


def test_a_user_uri_at_our_address_is_not_a_record_route() -> None:
    assert not identity().is_record_route(parse_uri("sip:bob@192.0.2.10:5060;lr"))


def test_groups_by_q_highest_first_missing_q_is_one() -> None:
    a, b = Target("sip:a@x", q=0.5), Target("sip:b@x", q=1.0)
    c, d = Target("sip:c@x"), Target("sip:d@x", q=0.5)
    groups = groups_by_q([a, b, c, d], timeout=15.0)
    assert [g.targets for g in groups] == [(b, c), (a, d)]
    assert {g.timeout for g in groups} == {15.0}
    assert groups_by_q([]) == []


CORE = (
    "aggregate best branch cancel config context copying events forking forward identity "
    "loop preprocess recursion targets validate"
)
PROBE = f"""
import sys
for name in ("asyncio", "socket", "time"):
    sys.modules.pop(name, None)
import importlib
for name in {CORE.split()!r}:
    importlib.import_module("sipwarden.proxy." + name)
print(sorted(n for n in ("asyncio", "socket", "time") if n in sys.modules))
"""


def test_the_proxy_core_imports_no_io() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
