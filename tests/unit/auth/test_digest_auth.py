"""DigestAuth: challenges, credential selection and verification (auth/digest_auth.py)."""

from __future__ import annotations

import pytest

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.digest_auth import DigestAuth
from sipwarden.auth.hashes import ha1
from sipwarden.auth.outcome import Authenticated, Failed
from sipwarden.auth.store import UserRecord
from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.digest import build_challenge, parse_challenge, parse_credentials
from sipwarden.sip.message import Request
from sipwarden.sip.response import build_response

from .helpers import (
    NOW,
    PASSWORD,
    REALM,
    Client,
    challenge_for,
    failed_reason,
    make_auth,
    make_request,
    record,
    ref_response,
    signed_request,
)

ALL = ("SHA-512-256", "SHA-256", "MD5")
ALL_CONFIG = AuthConfig(algorithms=ALL, qop=("auth", "auth-int"))


def verify(
    auth: DigestAuth,
    request: Request,
    *,
    rec: UserRecord | None = None,
    now: float = NOW,
    proxy: bool = False,
    realm: str = REALM,
) -> Authenticated | Failed:
    creds = auth.credentials(request, realm, proxy=proxy)
    assert creds is not None
    return auth.verify(request, realm, creds, rec, now=now)


# ----- challenges ------------------------------------------------------------------------------


def test_register_challenge_is_401_with_one_www_authenticate_per_algorithm() -> None:
    auth = make_auth(ALL_CONFIG)
    challenged = auth.challenge(make_request(), REALM, proxy=False, now=NOW)
    assert (challenged.status, challenged.reason) == (401, "Unauthorized")
    assert [name for name, _ in challenged.headers] == ["WWW-Authenticate"] * 3
    parsed = [parse_challenge(value) for _, value in challenged.headers]
    assert [c.algorithm for c in parsed] == list(ALL)  # preferred first, RFC 8760 §2.4
    assert {c.realm for c in parsed} == {REALM}
    assert all(c.qop_options == ("auth", "auth-int") for c in parsed)
    assert len({c.nonce for c in parsed}) == 3  # a fresh nonce each
    assert not any(c.stale for c in parsed)


def test_proxy_challenge_is_407_with_proxy_authenticate() -> None:
    challenged = make_auth().challenge(make_request("INVITE"), REALM, proxy=True, now=NOW)
    assert (challenged.status, challenged.reason) == (407, "Proxy Authentication Required")
    assert [name for name, _ in challenged.headers] == ["Proxy-Authenticate"] * 2


def test_stale_challenge_says_so() -> None:
    challenged = make_auth().challenge(make_request(), REALM, proxy=False, now=NOW, stale=True)
    assert all(parse_challenge(value).stale for _, value in challenged.headers)


@pytest.mark.parametrize(
    "realm",
    [REALM, "Example.COM", 'odd "realm" \\ with nonce="AAAA" inside', "ünïcode.example", ""],
)
@pytest.mark.parametrize("stale", [False, True])
@pytest.mark.parametrize("qop", [("auth",), ("auth", "auth-int"), ()])
def test_challenges_are_rendered_as_build_challenge_renders_them(
    realm: str, stale: bool, qop: tuple[str, ...]
) -> None:
    """The header text comes from a template per realm; it is exactly the text of the
    Challenge that build_challenge makes for the nonce it carries, every time."""
    auth = make_auth(AuthConfig(algorithms=ALL, qop=qop))
    for now in (NOW, NOW + 1):
        challenged = auth.challenge(make_request(), realm, proxy=False, now=now, stale=stale)
        for (_, value), algorithm in zip(challenged.headers, ALL, strict=True):
            nonce = parse_challenge(value).nonce or ""
            built = build_challenge(
                realm=realm, nonce=nonce, algorithm=algorithm, qop=qop, stale=stale
            )
            assert value == str(built)


def test_a_realm_that_cannot_be_rendered_is_refused_as_before() -> None:
    with pytest.raises(LocalError):
        make_auth().challenge(make_request(), "bad\r\nrealm", proxy=False, now=NOW)


def test_challenge_builds_into_a_response() -> None:
    request = make_request()
    challenged = make_auth().challenge(request, REALM, proxy=False, now=NOW)
    response = build_response(
        request, challenged.status, challenged.reason, headers=challenged.headers
    )
    assert response.status == 401
    assert [c.algorithm for c in response.www_authenticate] == ["MD5", "SHA-256"]


def test_rfc2069_config_sends_no_qop() -> None:
    challenged = make_auth(AuthConfig(qop=())).challenge(
        make_request(), REALM, proxy=False, now=NOW
    )
    assert all("qop" not in value for _, value in challenged.headers)


# ----- good credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALL)
@pytest.mark.parametrize("qop", ["auth", "auth-int"])
def test_good_credentials_authenticate(algorithm: str, qop: str) -> None:
    auth = make_auth(ALL_CONFIG)
    request = signed_request(auth, Client(qop=qop, nc=7), algorithm, body=b"v=0\r\n")
    verdict = verify(auth, request, rec=record())
    assert isinstance(verdict, Authenticated)
    assert verdict == Authenticated("alice", REALM, algorithm, verdict.nonce, 7, NOW + 300.0)


@pytest.mark.parametrize("algorithm", ["MD5-sess", "SHA-256-sess"])
def test_sess_algorithms_authenticate(algorithm: str) -> None:
    auth = make_auth(AuthConfig(algorithms=(algorithm,)))
    request = signed_request(auth, Client(), algorithm)
    assert isinstance(verify(auth, request, rec=record()), Authenticated)


def test_proxy_authorization_is_read_for_proxy() -> None:
    auth = make_auth()
    request = signed_request(auth, Client(), proxy=True, method="INVITE", uri="sip:bob@example.com")
    assert auth.credentials(request, REALM, proxy=False) is None
    assert isinstance(verify(auth, request, rec=record(), proxy=True), Authenticated)


def test_rfc2069_credentials_without_qop_count_as_nc_1() -> None:
    auth = make_auth(AuthConfig(qop=()))
    verdict = verify(auth, signed_request(auth, Client(qop=None)), rec=record())
    assert isinstance(verdict, Authenticated)
    assert verdict.nc == 1


def test_uppercase_response_hex_is_accepted() -> None:
    auth = make_auth()
    request = signed_request(auth, Client())
    creds = auth.credentials(request, REALM, proxy=False)
    assert creds is not None
    upper = parse_credentials(
        str(creds).replace(creds.response or "", (creds.response or "").upper())
    )
    assert isinstance(auth.verify(request, REALM, upper, record(), now=NOW), Authenticated)


def test_digest_uri_equal_as_uri_but_spelled_differently_is_accepted() -> None:
    auth = make_auth()
    challenge = challenge_for(auth, "SHA-256")
    bare = make_request(uri="sip:EXAMPLE.COM;transport=udp")
    value = Client().authorization(challenge, bare, uri="sip:example.com;transport=UDP")
    request = make_request(uri="sip:EXAMPLE.COM;transport=udp", extra=(("Authorization", value),))
    assert isinstance(verify(auth, request, rec=record()), Authenticated)


def test_realm_in_other_case_is_ours() -> None:
    auth = make_auth()
    request = signed_request(auth, Client())
    assert isinstance(verify(auth, request, rec=record(), realm="Example.COM"), Authenticated)


# ----- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALL)
def test_wrong_password_fails(algorithm: str) -> None:
    auth = make_auth(ALL_CONFIG)
    request = signed_request(auth, Client(password="wrong"), algorithm)
    assert verify(auth, request, rec=record()) == Failed(stale=False, reason="bad_password")


def test_unknown_user_fails() -> None:
    auth = make_auth()
    request = signed_request(auth, Client(username="mallory"))
    assert verify(auth, request, rec=None) == Failed(stale=False, reason="unknown_user")


def test_record_of_another_user_counts_as_unknown() -> None:
    auth = make_auth()
    request = signed_request(auth, Client(username="mallory", password=PASSWORD))
    assert verify(auth, request, rec=record()) == Failed(stale=False, reason="unknown_user")
    other_domain = record(domain="other.example.com")
    assert failed_reason(verify(auth, signed_request(auth, Client()), rec=other_domain)) == (
        "unknown_user"
    )


def test_record_without_ha1_for_the_algorithm_fails() -> None:
    auth = make_auth()
    md5_only = UserRecord("alice", REALM, {"MD5": ha1("MD5", "alice", REALM, PASSWORD)})
    request = signed_request(auth, Client(), "SHA-256")
    assert verify(auth, request, rec=md5_only) == Failed(stale=False, reason="no_ha1")
    md5_request = signed_request(auth, Client(), "MD5")
    assert isinstance(verify(auth, md5_request, rec=md5_only), Authenticated)


def test_stale_nonce_with_good_digest_is_stale() -> None:
    auth = make_auth()
    request = signed_request(auth, Client())
    verdict = verify(auth, request, rec=record(), now=NOW + 300.0)
    assert verdict == Failed(stale=True, reason="stale_nonce")


def test_stale_nonce_with_bad_digest_is_not_stale() -> None:
    """RFC 7616 §3.3: stale=true only with a valid digest, so the wrong password is not hidden
    behind a stale retry; and an unknown user gets the same answer as a wrong password."""
    auth = make_auth()
    late = NOW + 1000.0
    wrong = verify(auth, signed_request(auth, Client(password="x")), rec=record(), now=late)
    unknown = verify(auth, signed_request(auth, Client(username="bob")), rec=None, now=late)
    assert wrong == Failed(stale=False, reason="bad_password")
    assert unknown == Failed(stale=False, reason="unknown_user")


def test_forged_nonce_is_invalid() -> None:
    auth = make_auth()
    challenge = challenge_for(auth, "SHA-256")
    nonce = challenge.nonce or ""
    forged = nonce[:-2] + ("BB" if nonce.endswith("AA") else "AA")
    bare = make_request()
    value = Client().authorization(challenge, bare).replace(challenge.nonce or "", forged)
    request = make_request(extra=(("Authorization", value),))
    assert verify(auth, request, rec=record()) == Failed(stale=False, reason="nonce_invalid")


def test_nonce_from_another_secret_is_invalid() -> None:
    issuer = make_auth()
    other = type(issuer)(AuthConfig(), b"a completely different secret")
    request = signed_request(issuer, Client())
    assert failed_reason(verify(other, request, rec=record())) == "nonce_invalid"


def test_nonce_issued_for_another_realm_is_invalid() -> None:
    auth = make_auth()
    challenge = challenge_for(auth, "SHA-256", realm="other.example.com")
    # The client answers honestly with realm example.com but reuses the other realm's nonce.
    ours = challenge_for(auth, "SHA-256")
    bare = make_request()
    value = Client().authorization(ours, bare).replace(ours.nonce or "", challenge.nonce or "")
    request = make_request(extra=(("Authorization", value),))
    assert verify(auth, request, rec=record()) == Failed(stale=False, reason="nonce_invalid")


def test_credentials_for_another_realm_are_ignored() -> None:
    auth = make_auth()
    elsewhere = challenge_for(auth, "SHA-256", realm="other.example.com")
    bare = make_request()
    value = Client().authorization(elsewhere, bare)
    request = make_request(extra=(("Authorization", value),))
    assert auth.credentials(request, REALM, proxy=False) is None
    creds = auth.credentials(request, "other.example.com", proxy=False)
    assert creds is not None
    assert failed_reason(auth.verify(request, REALM, creds, record(), now=NOW)) == "realm_mismatch"


def test_ours_is_picked_among_several_realms_and_schemes() -> None:
    auth = make_auth()
    ours = Client().authorization(challenge_for(auth, "SHA-256"), make_request())
    theirs = Client().authorization(
        challenge_for(auth, "MD5", realm="upstream.example"), make_request()
    )
    request = make_request(
        extra=(
            ("Authorization", theirs),
            ("Authorization", 'Bearer token="abc"'),
            ("Authorization", ours),
        )
    )
    assert isinstance(verify(auth, request, rec=record()), Authenticated)


def test_first_offered_algorithm_wins_among_ours() -> None:
    auth = make_auth(AuthConfig(algorithms=("MD5",)))
    sha = (
        'Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com",'
        ' response="r", algorithm=SHA-256'
    )
    md5 = sha.replace("SHA-256", "MD5")
    request = make_request(extra=(("Authorization", sha), ("Authorization", md5)))
    creds = auth.credentials(request, REALM, proxy=False)
    assert creds is not None and creds.algorithm == "MD5"
    only_sha = make_request(extra=(("Authorization", sha),))
    creds = auth.credentials(only_sha, REALM, proxy=False)
    assert creds is not None
    assert (
        failed_reason(auth.verify(only_sha, REALM, creds, record(), now=NOW))
        == "algorithm_not_offered"
    )


def test_no_credentials_is_none() -> None:
    assert make_auth().credentials(make_request(), REALM, proxy=False) is None


def test_malformed_authorization_raises_parse_error_400() -> None:
    request = make_request(extra=(("Authorization", 'Digest username="alice", realm="x"'),))
    with pytest.raises(ParseError) as info:
        make_auth().credentials(request, REALM, proxy=False)
    assert info.value.status == 400


def test_uri_mismatch_fails() -> None:
    auth = make_auth()
    challenge = challenge_for(auth, "SHA-256")
    bare = make_request(method="INVITE", uri="sip:bob@example.com")
    # A digest computed over another URI, replayed against this Request-URI.
    value = Client().authorization(challenge, bare, uri="sip:carol@example.com")
    request = make_request(
        method="INVITE", uri="sip:bob@example.com", extra=(("Authorization", value),)
    )
    assert verify(auth, request, rec=record()) == Failed(stale=False, reason="uri_mismatch")
    garbage = Client().authorization(challenge, bare, uri="not a uri")
    request = make_request(
        method="INVITE", uri="sip:bob@example.com", extra=(("Authorization", garbage),)
    )
    assert failed_reason(verify(auth, request, rec=record())) == "uri_mismatch"


def test_algorithm_not_offered_fails() -> None:
    auth = make_auth(AuthConfig(algorithms=("SHA-256",)))
    other = make_auth(AuthConfig(algorithms=("MD5",)))
    request = signed_request(other, Client(), "MD5")
    creds = auth.credentials(request, REALM, proxy=False)
    assert creds is not None
    assert auth.verify(request, REALM, creds, record(), now=NOW) == Failed(
        stale=False, reason="algorithm_not_offered"
    )


def test_unknown_algorithm_fails() -> None:
    auth = make_auth()
    request = signed_request(auth, Client(extra={"algorithm": "SHA-1"}))
    assert failed_reason(verify(auth, request, rec=record())) == "algorithm_not_offered"


@pytest.mark.parametrize(
    ("config", "client", "reason"),
    [
        (AuthConfig(), Client(qop=None), "qop_missing"),
        (AuthConfig(), Client(qop="auth-int"), "qop_not_offered"),
        (AuthConfig(qop=()), Client(qop="auth"), "qop_not_offered"),
        (AuthConfig(), Client(nc=0), "bad_nc"),
    ],
)
def test_qop_rules(config: AuthConfig, client: Client, reason: str) -> None:
    auth = make_auth(config)
    request = signed_request(auth, client)
    assert failed_reason(verify(auth, request, rec=record())) == reason


@pytest.mark.parametrize(("drop", "reason"), [("cnonce", "missing_cnonce"), ("nc", "missing_nc")])
def test_qop_without_cnonce_or_nc_fails(drop: str, reason: str) -> None:
    auth = make_auth()
    value = Client().authorization(challenge_for(auth, "SHA-256"), make_request())
    parts = [p for p in value.removeprefix("Digest ").split(", ") if not p.startswith(f"{drop}=")]
    request = make_request(extra=(("Authorization", "Digest " + ", ".join(parts)),))
    assert failed_reason(verify(auth, request, rec=record())) == reason


def test_sess_without_cnonce_fails() -> None:
    auth = make_auth(AuthConfig(algorithms=("MD5-sess",), qop=()))
    request = signed_request(auth, Client(qop=None), "MD5-sess")
    assert failed_reason(verify(auth, request, rec=record())) == "missing_cnonce"


def test_userhash_is_refused() -> None:
    auth = make_auth()
    request = signed_request(auth, Client(extra={"userhash": "true"}))
    assert failed_reason(verify(auth, request, rec=record())) == "userhash_unsupported"


def test_missing_directive_in_hand_built_credentials_is_malformed() -> None:
    from sipwarden.sip.digest import Credentials

    creds = Credentials("Digest", (("username", "alice"), ("realm", REALM)))
    verdict = make_auth().verify(make_request(), REALM, creds, record(), now=NOW)
    assert verdict == Failed(stale=False, reason="malformed")


def test_auth_int_covers_the_body() -> None:
    auth = make_auth(AuthConfig(qop=("auth-int",)))
    signed = signed_request(auth, Client(qop="auth-int"), body=b"v=0\r\n")
    value = signed.header("Authorization") or ""
    tampered = make_request(body=b"v=1\r\n", extra=(("Authorization", value),))
    assert isinstance(verify(auth, signed, rec=record()), Authenticated)
    assert failed_reason(verify(auth, tampered, rec=record())) == "bad_password"


def test_method_is_covered() -> None:
    auth = make_auth()
    signed = signed_request(auth, Client(), method="INVITE", uri="sip:bob@example.com")
    value = signed.header("Authorization") or ""
    other = make_request("BYE", "sip:bob@example.com", extra=(("Authorization", value),))
    assert failed_reason(verify(auth, other, rec=record())) == "bad_password"


def test_non_ascii_response_is_a_plain_failure() -> None:
    auth = make_auth()
    value = Client().authorization(challenge_for(auth, "SHA-256"), make_request())
    value = value.replace('response="', 'response="é')
    request = make_request(extra=(("Authorization", value),))
    assert failed_reason(verify(auth, request, rec=record())) == "bad_password"


def test_reference_client_response_matches_ref_formula() -> None:
    """Sanity: the helper client really uses the reference formula."""
    auth = make_auth()
    challenge = challenge_for(auth, "MD5")
    request = make_request()
    value = parse_credentials(Client().authorization(challenge, request))
    assert value.response == ref_response(
        "MD5",
        username="alice",
        realm=REALM,
        password=PASSWORD,
        method="REGISTER",
        uri="sip:example.com",
        nonce=challenge.nonce or "",
        nc="00000001",
        cnonce="0a4f113b",
        qop="auth",
    )


@pytest.mark.parametrize("qop", ["AUTH", "Auth-Int"])
def test_qop_token_in_other_case_is_hashed_as_written(qop: str) -> None:
    auth = make_auth(AuthConfig(qop=("auth", "auth-int")))
    request = signed_request(auth, Client(qop=qop), body=b"v=0\r\n")
    assert isinstance(verify(auth, request, rec=record()), Authenticated)


def test_non_digest_credentials_are_malformed() -> None:
    creds = parse_credentials(
        'Bearer username="alice", realm="example.com", nonce="n", uri="u", response="r"'
    )
    verdict = make_auth().verify(make_request(), REALM, creds, record(), now=NOW)
    assert verdict == Failed(stale=False, reason="malformed")
