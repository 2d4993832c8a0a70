"""The canonical AoR (RFC 3261 §10.3 step 5, §19.1.4) and the registrar settings."""

from __future__ import annotations

import random

import pytest

from sipwarden.errors import LocalError, ParseError
from sipwarden.registrar import RegistrarConfig, aor_of
from sipwarden.sip import SipUri, parse_uri


@pytest.mark.parametrize(
    ("uri", "aor"),
    [
        ("sip:alice@example.com", "sip:alice@example.com"),
        ("sip:alice@EXAMPLE.com:5070;transport=tcp;user=phone?subject=x", "sip:alice@example.com"),
        ("SIP:alice:secret@example.com", "sip:alice@example.com"),
        ("sip:%61lice@example.com", "sip:alice@example.com"),  # escapes resolved
        ("sip:a%40b@example.com", "sip:a%40b@example.com"),  # ...and re-escaped minimally
        ("sips:alice@example.com", "sips:alice@example.com"),  # never equal to sip: (§19.1.4)
        ("sip:example.com", "sip:example.com"),
        ("sip:bob@[2001:DB8::1]:5060", "sip:bob@[2001:db8::1]"),
    ],
)
def test_aor_is_canonical(uri: str, aor: str) -> None:
    assert aor_of(parse_uri(uri)) == aor


def test_user_part_stays_case_sensitive() -> None:
    assert aor_of(parse_uri("sip:Alice@example.com")) != aor_of(parse_uri("sip:alice@example.com"))


@pytest.mark.parametrize("uri", ["tel:+15551234567", "mailto:alice@example.com"])
def test_non_sip_uri_has_no_aor(uri: str) -> None:
    with pytest.raises(ParseError) as info:
        aor_of(parse_uri(uri))
    assert info.value.status == 400


def test_config_defaults() -> None:
    config = RegistrarConfig()
    assert (config.min_expires, config.max_expires, config.default_expires) == (60, 3600, 3600)
    assert config.max_contacts == 10


@pytest.mark.parametrize(
    "fields",
    [
        {"min_expires": 0},
        {"max_contacts": 0},
        {"min_expires": 3601, "default_expires": 4000, "max_expires": 5000},  # §10.3 step 7
        {"min_expires": 120, "default_expires": 60},
        {"default_expires": 7200},
        {"max_expires": 2**32, "default_expires": 3600},
        {"max_contacts": True},
        {"min_expires": "60"},
    ],
)
def test_config_is_validated(fields: dict[str, object]) -> None:
    with pytest.raises(LocalError):
        RegistrarConfig(**fields)  # type: ignore[arg-type]


def _by_sip_uri(uri: SipUri) -> str:
    """The AoR as built from parts by SipUri (render, parse back, compare): the general path."""
    return str(SipUri(scheme=uri.scheme, user=uri.user, host=uri.host.lower()))


def test_aor_is_what_sip_uri_renders_for_many_spellings() -> None:
    """aor_of writes plain user parts itself; the text is SipUri's, escapes and all."""
    rng = random.Random(7)
    pieces = [*"aZ09-_.!~*'()&=+$,;?/", "%41", "%7e", "%2A", "%40", "%C3%A9"]
    hosts = ["example.com", "EXAMPLE.Com", "127.0.0.1", "[2001:DB8::1]", "a.b.", "10.0.0.01"]
    compared = 0
    for _ in range(5000):
        user = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        userinfo = f"{user}@" if user else ""
        text = f"{rng.choice(['sip', 'sips', 'SIP'])}:{userinfo}{rng.choice(hosts)};lr"
        try:
            uri = parse_uri(text)
        except ParseError:
            continue
        assert isinstance(uri, SipUri)
        assert aor_of(uri) == _by_sip_uri(uri), text
        compared += 1
    assert compared > 2000
