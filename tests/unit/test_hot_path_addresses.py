"""The per-request IP checks that left `ipaddress` for sip/hosts.py give the answers they gave.

Each function is compared with the `ipaddress` code it replaced, on IPv4 edge cases (leading
zeros, out of range octets, whitespace, non-ASCII digits), IPv6 forms (compressed or not, scope
ids, IPv4-mapped) and random dotted strings.
"""

from __future__ import annotations

import ipaddress
import random

import pytest

from sipwarden.config.names import check_domain
from sipwarden.dns.targets import literal_ip, target
from sipwarden.security.config import SecurityConfig
from sipwarden.security.shield import canonical_ip
from sipwarden.sip import SipUri, parse_uri

HOSTS = [
    "10.0.0.1", "10.255.255.255", "9.255.255.255", "11.0.0.1", "192.0.2.10", "192.0.2.11",
    "192.168.1.7", "192.168.1.8", "0.0.0.0", "255.255.255.255", "010.0.0.1", "10.0.0.01",
    "10.0.0.256", "10.0.0", "10.0.0.1.", " 10.0.0.1", "10.0.0.1\n", "\uff11.0.0.1", "10.0.0.1/8",
    "\u0661.2.3.4", "1e3.0.0.1", "10.0.0.1%x", "::ffff:10.0.0.1", "::ffff:192.0.2.10",
    "2001:db8::1", "2001:DB8:0::1", "2001:db8::99", "2001:db9::1", "fe80::1%eth0",
    "[2001:db8::1]", "[10.0.0.1]", "", "garbage", "Example.COM", "::1", "0:0::1",
]  # fmt: skip


def hosts() -> list[str]:
    rng = random.Random(11)
    octets = [0, 1, 7, 9, 10, 99, 168, 192, 2, 255, 256, "01", "1a", ""]
    made = [
        ".".join(str(rng.choice(octets)) for _ in range(rng.choice([3, 4, 4, 4, 5])))
        for _ in range(2000)
    ]
    return HOSTS + made


def address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


CONFIGS = [
    SecurityConfig(
        allow=(
            ipaddress.ip_network("10.0.0.0/8"),
            ipaddress.ip_network("192.168.1.7/24", strict=False),
            ipaddress.ip_network("2001:db8::/32"),
        ),
        trusted_peers=("192.0.2.10", "2001:DB8:0::99"),
    ),
    SecurityConfig(allow=(ipaddress.ip_network("0.0.0.0/0"),)),
    SecurityConfig(allow=(ipaddress.ip_network("192.168.1.7/32"), ipaddress.ip_network("::/0"))),
    SecurityConfig(),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["mixed", "all-ipv4", "host-and-all-ipv6", "none"])
def test_exempt_and_trusted_agree_with_ipaddress(config: SecurityConfig) -> None:
    def exempt(text: str) -> bool:  # SecurityConfig.exempt before the IPv4 fast path
        ip = address(text)
        if ip is None:
            return False
        if str(ip) in config.trusted_peers:
            return True
        return any(ip.version == net.version and ip in net for net in config.allow)

    def trusted(text: str) -> bool:
        ip = address(text)
        return ip is not None and str(ip) in config.trusted_peers

    answers = set()
    for text in hosts():
        assert config.exempt(text) == exempt(text), text
        assert config.trusted(text) == trusted(text), text
        answers.add(exempt(text))
    assert answers == ({False} if not config.allow else {True, False})  # both sides tested


def test_shield_canonical_ip_agrees_with_ipaddress() -> None:
    for text in hosts():
        ip = address(text.strip("[]"))
        assert canonical_ip(text) == (text if ip is None else str(ip)), text


def test_check_domain_agrees_with_ipaddress_for_addresses() -> None:
    for text in hosts():
        ip = address(text[1:-1] if text.startswith("[") and text.endswith("]") else text)
        if ip is not None:
            assert check_domain(text) == str(ip), text
        elif "." in text and text.replace(".", "").isdigit() and text.isascii():
            with pytest.raises(ValueError):  # a dotted number that is not an address
                check_domain(text)


@pytest.mark.parametrize(
    "text",
    [
        "sip:10.0.0.1", "sip:10.0.0.01", "sip:010.0.0.1:5070", "sip:[2001:DB8:0::1]",
        "sip:bob@[::ffff:10.0.0.1]:5060", "sip:Example.COM", "sip:example.com.",
        "sip:bob@example.com;maddr=192.0.2.1", "sip:bob@10.0.0.1;maddr=Proxy.Example.",
        "sips:1.2.3.4;transport=tcp", "sip:10.0.0.1.example.com", "sip:1-2-3-4.example",
    ],
)  # fmt: skip
def test_literal_ip_agrees_with_ipaddress(text: str) -> None:
    uri = parse_uri(text)
    assert isinstance(uri, SipUri)
    ip = address(target(uri))
    assert literal_ip(uri) == (None if ip is None else str(ip))
