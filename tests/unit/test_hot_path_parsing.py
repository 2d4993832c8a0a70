"""Fast paths of the message layer agree with the general code they shortcut."""

from __future__ import annotations

import ipaddress
import random

import pytest

from sipwarden.errors import ParseError
from sipwarden.sip import digest, parse_via
from sipwarden.sip.hosts import canonical_ip, ip_version, is_ipv4
from sipwarden.sip.scan import split_outside
from sipwarden.transport.stamping import _same_host

HOSTS = [
    "127.0.0.1", "1.2.3.4", "01.2.3.4", "255.255.255.255", "256.0.0.1", "1.2.3", "1.2.3.4.",
    "0.0.0.0", "10.0.0.01", "example.com", "::1", "0:0::1", "[::1]", "1.2.3.4 ", " 1.2.3.4",
    "1.2.3.4\n", "", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4%x", "\u0661.2.3.4",
]  # fmt: skip


def _hosts() -> list[str]:
    rng = random.Random(7)
    octets = [0, 1, 9, 10, 99, 100, 199, 200, 249, 250, 255, 256, "01", "001", "1a", ""]
    made = [
        ".".join(str(rng.choice(octets)) for _ in range(rng.choice([3, 4, 4, 4, 5])))
        for _ in range(3000)
    ]
    return HOSTS + made


def _reference(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def test_host_helpers_agree_with_ipaddress() -> None:
    for text in _hosts():
        ip = _reference(text)
        assert ip_version(text) == (None if ip is None else ip.version), text
        assert canonical_ip(text) == (None if ip is None else str(ip)), text
        assert is_ipv4(text) == isinstance(ip, ipaddress.IPv4Address), text


def test_same_host_agrees_with_ipaddress_comparison() -> None:
    def reference(sent_by: str, source: str) -> bool:
        text = sent_by[1:-1] if sent_by.startswith("[") else sent_by
        a, b = _reference(text), _reference(source)
        return a is not None and b is not None and a == b

    for sent_by in HOSTS:
        for source in HOSTS:
            assert _same_host(sent_by, source) == reference(sent_by, source), (sent_by, source)


def _general(value: str) -> tuple[str, digest.AuthParams] | None:
    """_parse_auth_value() without its one-regex fast path."""
    text = value.strip(" \t")
    match = digest._SCHEME_RE.fullmatch(text)
    if not text or match is None or not digest.is_token(match[1]):
        return None
    try:
        params = tuple(digest._parse_auth_param(p, "x") for p in split_outside(match[2], ","))
    except ParseError:
        return None
    return match[1], params


def _parsed(value: str) -> tuple[str, digest.AuthParams] | None:
    try:
        return digest._parse_auth_value(value, "x")
    except ParseError:
        return None


PIECES = [
    " ", "\t", "username", "=", '"', "a", "B", ",", "\\", "<", ">", "x y", '"alice"', '""',
    "nc=00000001", "qop=auth", ";", ":", "@", "\u00e9", 'realm="a,b"', 'uri="sip:a@b"',
]  # fmt: skip


def test_auth_params_fast_path_agrees_with_the_general_path() -> None:
    rng = random.Random(11)
    for _ in range(20000):
        value = "Digest " + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 10)))
        assert _parsed(value) == _general(value), value


def test_usual_credentials_take_the_fast_path_with_the_same_result() -> None:
    value = (
        'Digest username="user0001",realm="127.0.0.1",cnonce="6b8b4567",nc=00000001,'
        'qop=auth,uri="sip:127.0.0.1:15060",nonce="abc",response="d41d",algorithm=MD5'
    )
    assert digest._FAST_PARAMS_RE.fullmatch(value.split(" ", 1)[1]) is not None
    assert _parsed(value) == _general(value)
    assert dict(digest.parse_credentials(value).params)["uri"] == "sip:127.0.0.1:15060"


@pytest.mark.parametrize(
    "text",
    [
        "SIP/2.0/UDP h;branch=z9hG4bK1",
        "SIP/2.0/UDP h;BRANCH=z9hG4bK2;branch=z9hG4bK3",
        "SIP/2.0/UDP h;rport",
        "SIP/2.0/UDP h;branch",
    ],
)
def test_via_branch_is_looked_up_once_with_the_same_answer(text: str) -> None:
    via = parse_via(text)
    expected = next((value for name, value in via.params if name.lower() == "branch"), None)
    assert via.branch == expected
    assert via.branch == expected  # the cached answer
