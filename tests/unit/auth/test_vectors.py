"""Published example vectors (RFC 7616 §3.9.1, RFC 2617 §3.5) against the reference formulas in
helpers.py and against sipwarden.auth.compute."""

from __future__ import annotations

import pytest

from sipwarden.auth.compute import DigestInput, ha2, request_digest, session_ha1
from sipwarden.auth.hashes import ha1, hash_function

from .helpers import ref_h, ref_response

# RFC 7616 §3.9.1: GET /dir/index.html, qop=auth, nc=00000001.
RFC7616: dict[str, str] = {
    "username": "Mufasa",
    "realm": "http-auth@example.org",
    "password": "Circle of Life",
    "method": "GET",
    "uri": "/dir/index.html",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    "nc": "00000001",
    "qop": "auth",
}
RFC7616_RESPONSES = {
    "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
}
# RFC 2617 §3.5 (MD5): note "Circle Of Life" with a capital O there.
RFC2617: dict[str, str] = {
    "username": "Mufasa",
    "realm": "testrealm@host.com",
    "password": "Circle Of Life",
    "method": "GET",
    "uri": "/dir/index.html",
    "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    "cnonce": "0a4f113b",
    "nc": "00000001",
    "qop": "auth",
}
RFC2617_RESPONSE = "6629fae49393a05397450978507c4ef1"


def ref_of(algorithm: str, v: dict[str, str], qop: str | None = "auth", body: bytes = b"") -> str:
    """`ref_response` over a vector table."""
    return ref_response(
        algorithm,
        username=v["username"],
        realm=v["realm"],
        password=v["password"],
        method=v["method"],
        uri=v["uri"],
        nonce=v["nonce"],
        nc=v["nc"],
        cnonce=v["cnonce"],
        qop=qop,
        body=body,
    )


@pytest.mark.parametrize("algorithm", sorted(RFC7616_RESPONSES))
def test_reference_formula_gives_rfc7616_example(algorithm: str) -> None:
    assert ref_of(algorithm, RFC7616) == RFC7616_RESPONSES[algorithm]


def test_reference_formula_gives_rfc2617_example() -> None:
    assert ref_of("MD5", RFC2617) == RFC2617_RESPONSE


def _module_response(algorithm: str, v: dict[str, str]) -> str:
    h = hash_function(algorithm)
    stored = ha1(algorithm, v["username"], v["realm"], v["password"])
    value = DigestInput(v["method"], v["uri"], v["nonce"], v["nc"], v["cnonce"], v["qop"])
    return request_digest(h, stored, value)


@pytest.mark.parametrize("algorithm", sorted(RFC7616_RESPONSES))
def test_compute_gives_rfc7616_example(algorithm: str) -> None:
    assert _module_response(algorithm, RFC7616) == RFC7616_RESPONSES[algorithm]


def test_compute_gives_rfc2617_example() -> None:
    assert _module_response("MD5", RFC2617) == RFC2617_RESPONSE


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512-256", "SHA-256-sess"])
@pytest.mark.parametrize("qop", [None, "auth", "auth-int"])
def test_compute_agrees_with_reference(algorithm: str, qop: str | None) -> None:
    v = RFC7616
    body = b"v=0\r\n"
    h = hash_function(algorithm)
    stored = ha1(algorithm, v["username"], v["realm"], v["password"])
    if algorithm.endswith("-sess"):
        stored = session_ha1(h, stored, RFC7616["nonce"], RFC7616["cnonce"])
    value = DigestInput(
        "GET", RFC7616["uri"], RFC7616["nonce"], "00000001", RFC7616["cnonce"], qop, body
    )
    assert request_digest(h, stored, value) == ref_of(algorithm, v, qop, body)


def test_auth_int_hashes_the_body_and_auth_does_not() -> None:
    h = hash_function("MD5")
    with_body = ha2(h, "INVITE", "sip:bob@example.com", "auth-int", b"body")
    empty = ha2(h, "INVITE", "sip:bob@example.com", "auth-int", b"")
    assert with_body != empty
    assert empty == ref_h("MD5", f"INVITE:sip:bob@example.com:{ref_h('MD5', b'')}")
    assert ha2(h, "INVITE", "sip:bob@example.com", "auth", b"body") == ref_h(
        "MD5", "INVITE:sip:bob@example.com"
    )
