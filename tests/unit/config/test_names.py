"""Domain and user-part checks shared by the configuration and the user store."""

from __future__ import annotations

import pytest

from sipwarden.config.names import check_domain, check_user, split_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Example.COM", "example.com"),
        ("sip-1.example.org", "sip-1.example.org"),
        ("localhost", "localhost"),
        ("192.0.2.1", "192.0.2.1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("2001:db8:0::1", "2001:db8::1"),
    ],
)
def test_good_domains(text: str, expected: str) -> None:
    assert check_domain(text) == expected


@pytest.mark.parametrize(
    "text", ["", "a..b", "-a.example", "a-.example", "a_b.example", "1.2.3", "a" * 64 + ".x", "a b"]
)
def test_bad_domains(text: str) -> None:
    with pytest.raises(ValueError, match="is not a hostname or IP address"):
        check_domain(text)


@pytest.mark.parametrize("text", ["alice", "a.b-c_d", "+15551234", "x%20y", "o'neil", "a;b=c"])
def test_good_users(text: str) -> None:
    assert check_user(text) == text


@pytest.mark.parametrize("text", ["a b", "a@b", "a:b", "a%2", "tab\t", "é"])
def test_bad_users(text: str) -> None:
    with pytest.raises(ValueError, match="not allowed in a SIP user part"):
        check_user(text)


def test_empty_and_long_users() -> None:
    with pytest.raises(ValueError, match="the user name is empty"):
        check_user("")
    with pytest.raises(ValueError, match="longer than 128"):
        check_user("a" * 129)


def test_split_address() -> None:
    assert split_address("alice@Example.com") == ("alice", "example.com")
    with pytest.raises(ValueError, match="expected USER@DOMAIN, got 'alice'"):
        split_address("alice")
    with pytest.raises(ValueError, match="'b@c' is not a hostname"):
        split_address("a@b@c")
