"""Digest authentication header values: RFC 3261 §20.7/§20.27/§20.28/§20.44/§22.4, RFC 7616,
RFC 8760, RFC 4475 regaut01. Message layer only (no hashing)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipwarden.errors import LocalError, ParseError
from sipwarden.sip.digest import (
    Challenge,
    Credentials,
    build_challenge,
    parse_challenge,
    parse_credentials,
)

# RFC 3261 §20.44 (WWW-Authenticate) and §20.27 (Proxy-Authenticate), unfolded.
RFC3261_WWW = (
    'Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", '
    'nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5'
)
RFC3261_PROXY = (
    'Digest realm="atlanta.com",\tdomain="sip:ss1.carrier.com", qop="auth", '
    'nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5'
)
# RFC 3261 §20.7 and §20.28 print abbreviated credentials without `uri`, which RFC 7616 §3.4 (and
# RFC 2617 §3.2.2 before it) makes mandatory; here with the uri a real UA sends.
RFC3261_AUTHORIZATION = (
    'Digest username="Alice", realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", '
    'uri="sip:bob@biloxi.com", response="7587245234b3434cc3412213e5f113a5432"'
)
RFC3261_PROXY_AUTHORIZATION = (
    'Digest username="Alice", realm="atlanta.com", nonce="c60f3082ee1212b402a21831ae", '
    'uri="sip:bob@biloxi.com", response="245f23415f11432b3434341c022"'
)
# A full qop=auth response (draft-smith-sipping-auth-examples §3.3 style, RFC 3261 §22.4).
SIP_QOP_AUTHORIZATION = (
    'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
    'uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", '
    'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)

# RFC 7616 §3.9.1: the same challenge offered with SHA-256 and with MD5, and both answers.
RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC7616_SHA256_RESPONSE = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
RFC7616_MD5_RESPONSE = "8ca523f5e9506fed4657c9700eebdbec"


def rfc7616_challenge(algorithm: str) -> str:
    return (
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC7616_NONCE}", opaque="{RFC7616_OPAQUE}"'
    )


def rfc7616_credentials(algorithm: str, response: str) -> str:
    return (
        f'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        f'algorithm={algorithm}, nonce="{RFC7616_NONCE}", nc=00000001, '
        f'cnonce="{RFC7616_CNONCE}", qop=auth, response="{response}", opaque="{RFC7616_OPAQUE}"'
    )


# RFC 7616 §3.9.2: SHA-512-256 (the SIP algorithm RFC 8760 §2.1 adds) with charset and userhash.
RFC7616_SHA512_CHALLENGE = (
    'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, '
    'nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", '
    'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true'
)
RFC7616_SHA512_CREDENTIALS = (
    'Digest username="488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec", '
    'realm="api@example.org", uri="/doe.json", algorithm=SHA-512-256, '
    'nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", nc=00000001, '
    'cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", qop=auth, '
    'response="ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd", '
    'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", userhash=true'
)

# RFC 4475 §3.3.15 (regaut01): an unknown scheme must still parse.
REGAUT01 = "NoOneKnowsThisScheme opaque-data=here"

CHALLENGES = [
    RFC3261_WWW,
    RFC3261_PROXY,
    rfc7616_challenge("SHA-256"),
    rfc7616_challenge("MD5"),
    RFC7616_SHA512_CHALLENGE,
    REGAUT01,
    'digest realm="r", nonce="n", algorithm=SHA-256-sess, domain="sip:a sip:b"',
    'Digest realm="quo\\"te\\\\d", nonce="n", x-ext="a, b", y=tok',
]
CREDENTIALS = [
    RFC3261_AUTHORIZATION,
    RFC3261_PROXY_AUTHORIZATION,
    SIP_QOP_AUTHORIZATION,
    rfc7616_credentials("SHA-256", RFC7616_SHA256_RESPONSE),
    rfc7616_credentials("MD5", RFC7616_MD5_RESPONSE),
    RFC7616_SHA512_CREDENTIALS,
    REGAUT01,
]


# --- challenges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "domain"),
    [(RFC3261_WWW, "sip:boxesbybob.com"), (RFC3261_PROXY, "sip:ss1.carrier.com")],
)
def test_rfc3261_challenges(value: str, domain: str) -> None:
    c = parse_challenge(value)
    assert c.scheme == "Digest" and c.is_digest
    assert c.realm == "atlanta.com" and c.domain == domain
    assert c.nonce == "f84f1cec41e6cbe5aea9c8e88d359"
    assert c.opaque == "" and c.stale is False and c.algorithm == "MD5"
    assert c.qop_options == ("auth",)
    assert [name for name, _ in c.params] == [
        "realm",
        "domain",
        "qop",
        "nonce",
        "opaque",
        "stale",
        "algorithm",
    ]


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_rfc7616_example_challenge(algorithm: str) -> None:
    c = parse_challenge(rfc7616_challenge(algorithm))
    assert c.realm == "http-auth@example.org" and c.algorithm == algorithm
    assert c.qop_options == ("auth", "auth-int")
    assert c.nonce == RFC7616_NONCE and c.opaque == RFC7616_OPAQUE
    assert c.get("QOP") == "auth, auth-int"


def test_rfc7616_sha512_256_challenge_with_charset_and_userhash() -> None:
    c = parse_challenge(RFC7616_SHA512_CHALLENGE)
    assert c.algorithm == "SHA-512-256" and c.charset == "UTF-8" and c.userhash
    assert c.qop_options == ("auth",) and c.realm == "api@example.org"
    assert str(c) == RFC7616_SHA512_CHALLENGE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('Digest realm="r", nonce="n"', "MD5"),  # absent: MD5 (RFC 7616 §3.3)
        ('Digest realm="r", nonce="n", algorithm="SHA-256"', "SHA-256"),  # sloppy quotes
        ('Digest realm="r", nonce="n", algorithm=sha-512-256-SESS', "sha-512-256-SESS"),
        ("Basic realm=r", ""),  # no default outside Digest
    ],
)
def test_challenge_algorithm(value: str, expected: str) -> None:
    assert parse_challenge(value).algorithm == expected


@pytest.mark.parametrize(
    ("qop", "options"),
    [
        ('"auth,auth-int"', ("auth", "auth-int")),
        ('" Auth , AUTH-INT "', ("auth", "auth-int")),
        ("auth", ("auth",)),  # unquoted: sloppy but unambiguous
        ('"auth,,auth-int"', ("auth", "auth-int")),  # #rule tolerates empty elements
    ],
)
def test_qop_options(qop: str, options: tuple[str, ...]) -> None:
    assert parse_challenge(f'Digest realm="r", nonce="n", qop={qop}').qop_options == options
    assert parse_challenge('Digest realm="r", nonce="n"').qop_options == ()


@pytest.mark.parametrize(("stale", "expected"), [("true", True), ("TRUE", True), ('"True"', True)])
def test_stale_is_case_insensitive(stale: str, expected: bool) -> None:
    assert parse_challenge(f'Digest realm="r", nonce="n", stale={stale}').stale is expected
    assert parse_challenge('Digest realm="r", nonce="n", stale=false').stale is False


def test_commas_and_spaces_inside_quotes_do_not_split() -> None:
    c = parse_challenge(
        'Digest realm="a, b", domain="sip:a sip:b", nonce="x,y", qop="auth,auth-int"'
    )
    assert c.realm == "a, b" and c.domain == "sip:a sip:b" and c.nonce == "x,y"
    assert len(c.params) == 4


def test_quoted_pairs_decode_and_reencode() -> None:
    c = parse_challenge('Digest realm="say \\"hi\\" \\\\ \\x", nonce="n"')
    assert c.realm == 'say "hi" \\ x'
    assert str(c) == 'Digest realm="say \\"hi\\" \\\\ x", nonce="n"'


@pytest.mark.parametrize(
    "value",
    [
        'Digest realm = "r" , nonce= "n",\tqop ="auth"',
        'DIGEST  realm="r",nonce="n",qop="auth"',
        'digest\trealm="r", nonce="n", qop="auth"',
    ],
)
def test_lws_and_scheme_case_tolerated(value: str) -> None:
    c = parse_challenge(value)
    assert c.is_digest and c.realm == "r" and c.nonce == "n" and c.qop_options == ("auth",)
    assert c.params == (("realm", "r"), ("nonce", "n"), ("qop", "auth"))


def test_param_names_lower_cased_and_get_case_insensitive() -> None:
    c = parse_challenge('Digest Realm="r", NONCE="n", X-Vendor=Thing')
    assert c.params == (("realm", "r"), ("nonce", "n"), ("x-vendor", "Thing"))
    assert c.get("x-VENDOR") == "Thing" and c.get("missing") is None


def test_regaut01_unknown_scheme() -> None:
    c = parse_challenge(REGAUT01)
    assert c.scheme == "NoOneKnowsThisScheme" and not c.is_digest
    assert c.params == (("opaque-data", "here"),)
    assert str(c) == REGAUT01
    cr = parse_credentials(REGAUT01)
    assert cr.params == (("opaque-data", "here"),) and cr.username is None and cr.nc is None
    assert str(cr) == REGAUT01


def test_unknown_scheme_skips_digest_rules() -> None:
    c = parse_challenge("Other a=1, a=2")  # duplicates only matter for Digest (RFC 7616 §3.4)
    assert c.get("a") == "1" and c.realm is None and c.nonce is None


# --- credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "nonce", "response"),
    [
        (
            RFC3261_AUTHORIZATION,
            "84a4cc6f3082121f32b42a2187831a9e",
            "7587245234b3434cc3412213e5f113a5432",
        ),
        (RFC3261_PROXY_AUTHORIZATION, "c60f3082ee1212b402a21831ae", "245f23415f11432b3434341c022"),
    ],
)
def test_rfc3261_credentials(value: str, nonce: str, response: str) -> None:
    cr = parse_credentials(value)
    assert cr.scheme == "Digest" and cr.username == "Alice" and cr.realm == "atlanta.com"
    assert cr.nonce == nonce and cr.response == response and cr.uri == "sip:bob@biloxi.com"
    assert cr.algorithm == "MD5" and cr.qop is None and cr.nc is None and cr.cnonce is None
    assert cr.userhash is False and cr.opaque is None


def test_sip_qop_auth_credentials() -> None:
    cr = parse_credentials(SIP_QOP_AUTHORIZATION)
    assert cr.qop == "auth" and cr.nc == "00000001" and cr.cnonce == "0a4f113b"
    assert cr.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert str(cr) == SIP_QOP_AUTHORIZATION


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [("SHA-256", RFC7616_SHA256_RESPONSE), ("MD5", RFC7616_MD5_RESPONSE)],
)
def test_rfc7616_example_credentials(algorithm: str, response: str) -> None:
    value = rfc7616_credentials(algorithm, response)
    cr = parse_credentials(value)
    assert cr.username == "Mufasa" and cr.realm == "http-auth@example.org"
    assert cr.uri == "/dir/index.html" and cr.algorithm == algorithm
    assert cr.nonce == RFC7616_NONCE and cr.cnonce == RFC7616_CNONCE and cr.opaque == RFC7616_OPAQUE
    assert cr.nc == "00000001" and cr.qop == "auth" and cr.response == response
    assert str(cr) == value  # RFC 7616's own quoting is what we render


def test_rfc7616_sha512_256_userhash_credentials() -> None:
    cr = parse_credentials(RFC7616_SHA512_CREDENTIALS)
    assert cr.algorithm == "SHA-512-256" and cr.userhash is True
    assert cr.username == "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"
    assert str(cr) == RFC7616_SHA512_CREDENTIALS


def test_sloppy_quoting_in_credentials_tolerated() -> None:
    cr = parse_credentials(
        'digest username = "u", realm="r", nonce="n", uri="sip:x", response="0f", '
        'algorithm="MD5", qop="AUTH", nc="0000000A", cnonce="c"'
    )
    assert cr.algorithm == "MD5" and cr.qop == "auth" and cr.nc == "0000000A"
    assert str(cr) == (
        'digest username="u", realm="r", nonce="n", uri="sip:x", response="0f", '
        'algorithm=MD5, qop=AUTH, nc=0000000A, cnonce="c"'
    )


def test_credentials_and_challenge_are_distinct_types() -> None:
    challenge: object = parse_challenge(REGAUT01)
    assert challenge != parse_credentials(REGAUT01)
    assert isinstance(parse_credentials(REGAUT01), Credentials)


# --- serialization ----------------------------------------------------------------------------


def test_known_directives_are_quoted_or_bare_per_rfc7616() -> None:
    c = Challenge(
        "Digest",
        (
            ("realm", "r"),
            ("nonce", "n"),
            ("opaque", "o"),
            ("domain", "sip:a"),
            ("qop", "auth"),
            ("algorithm", "SHA-256"),
            ("stale", "true"),
            ("ext", "tok"),
            ("ext2", "two words"),
            ("ext3", ""),
        ),
    )
    assert str(c) == (
        'Digest realm="r", nonce="n", opaque="o", domain="sip:a", qop="auth", '
        'algorithm=SHA-256, stale=true, ext=tok, ext2="two words", ext3=""'
    )


def test_other_schemes_quote_only_non_tokens() -> None:
    assert str(Challenge("X", (("realm", "r"), ("b", "a b")))) == 'X realm=r, b="a b"'
    assert str(Credentials("X", ())) == "X"


@pytest.mark.parametrize("value", CHALLENGES)
def test_challenge_round_trip(value: str) -> None:
    c = parse_challenge(value)
    assert parse_challenge(str(c)) == c


@pytest.mark.parametrize("value", CREDENTIALS)
def test_credentials_round_trip(value: str) -> None:
    cr = parse_credentials(value)
    assert parse_credentials(str(cr)) == cr


# --- build_challenge --------------------------------------------------------------------------


def test_build_challenge_defaults() -> None:
    c = build_challenge(realm="biloxi.com", nonce="abc")
    assert str(c) == 'Digest realm="biloxi.com", qop="auth", nonce="abc", algorithm=MD5'
    assert parse_challenge(str(c)) == c


def test_build_challenge_everything() -> None:
    c = build_challenge(
        realm='a "b"',
        nonce="n/+=",
        algorithm="SHA-512-256",
        qop=("auth", "auth-int"),
        opaque="",
        stale=True,
        scheme="Digest",
    )
    assert c.realm == 'a "b"' and c.nonce == "n/+=" and c.opaque == "" and c.stale
    assert c.algorithm == "SHA-512-256" and c.qop_options == ("auth", "auth-int")
    assert str(c) == (
        'Digest realm="a \\"b\\"", qop="auth,auth-int", nonce="n/+=", opaque="", stale=true, '
        "algorithm=SHA-512-256"
    )
    assert parse_challenge(str(c)) == c


def test_build_challenge_without_qop_is_rfc2069_style() -> None:
    c = build_challenge(realm="r", nonce="n", qop=())
    assert c.get("qop") is None and c.qop_options == ()
    assert str(c) == 'Digest realm="r", nonce="n", algorithm=MD5'


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithm": "SHA 256"},
        {"algorithm": ""},
        {"qop": ("auth,auth-int",)},
        {"scheme": "Di gest"},
        {"realm": "a\r\nVia: evil"},
        {"nonce": "n\x00"},
        {"opaque": "\n"},
    ],
)
def test_build_challenge_refuses_unrenderable_arguments(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"realm": "r", "nonce": "n", **kwargs}
    with pytest.raises(LocalError):
        build_challenge(**args)  # type: ignore[arg-type]


# --- errors -----------------------------------------------------------------------------------

SYNTAX_ERRORS = [
    "",
    "   ",
    "Digest",  # §25.1: at least one auth-param
    "Dig@st realm=r",  # scheme not a token
    '"Digest" realm=r',
    'Digest realm="r", nonce',  # param without '='
    "Digest realm=r,, nonce=n",  # empty param between commas
    "Digest realm=r, nonce=n,",
    ", Digest realm=r",
    'Digest realm="r',  # unterminated quote
    'Digest realm="r\\"',
    'Digest realm="r"x, nonce="n"',  # junk after a quoted string
    'Digest realm="a"b"c", nonce=n',
    "Digest realm=, nonce=n",  # empty unquoted value
    "Digest realm=a b, nonce=n",  # unquoted value must be a token
    "Digest realm=sip:a@b, nonce=n",
    'Digest =r, nonce="n"',  # empty name
    'Digest re alm="r", nonce="n"',
    'Digest realm="r", nonce=<n',
]


@pytest.mark.parametrize("value", SYNTAX_ERRORS)
def test_syntax_errors(value: str) -> None:
    for parse in (parse_challenge, parse_credentials):
        with pytest.raises(ParseError) as info:
            parse(value)
        assert info.value.status == 400


@pytest.mark.parametrize(
    "value",
    [
        'Digest nonce="n"',  # realm missing (RFC 7616 §3.3)
        'Digest realm="r"',  # nonce missing
        'Digest realm="r", nonce="n", realm="s"',  # each directive at most once
        'Digest realm="r", nonce="n", Nonce="m"',
        'Digest realm="r", nonce="n", x=1, X=2',
        'Digest realm="r", nonce="n", algorithm="SHA 256"',
        'Digest realm="r", nonce="n", qop="auth int"',
        'Digest realm="r", nonce="n", qop="auth,\\"x\\""',
    ],
)
def test_challenge_errors(value: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_challenge(value)
    assert info.value.status == 400


CRED_BASE = 'username="u", realm="r", nonce="n", uri="sip:x", response="0f"'


@pytest.mark.parametrize(
    "value",
    [
        # RFC 3261 §20.7 / §20.28 as printed (abbreviated, no uri): a real response needs one.
        'Digest username="Alice", realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", '
        'response="7587245234b3434cc3412213e5f113a5432"',
        'Digest realm="r", nonce="n", uri="sip:x", response="0f"',
        'Digest username="u", nonce="n", uri="sip:x", response="0f"',
        'Digest username="u", realm="r", uri="sip:x", response="0f"',
        'Digest username="u", realm="r", nonce="n", response="0f"',
        'Digest username="u", realm="r", nonce="n", uri="sip:x"',
        # username* (RFC 7616 §3.4.4) is an extension param here, not a substitute for username
        'Digest username*=UTF-8\'\'J%C3%A4s, realm="r", nonce="n", uri="sip:x", response="0"',
        f'Digest {CRED_BASE}, username="v"',
        f"Digest {CRED_BASE}, qop=auth, QOP=auth",
        f"Digest {CRED_BASE}, nc=1",  # nc-value = 8LHEX
        f"Digest {CRED_BASE}, nc=000000001",
        f"Digest {CRED_BASE}, nc=0000000g",
        f'Digest {CRED_BASE}, nc=""',
        f'Digest {CRED_BASE}, qop="auth,auth-int"',  # a response carries one qop value
        f'Digest {CRED_BASE}, algorithm="MD 5"',
    ],
)
def test_credentials_errors(value: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_credentials(value)
    assert info.value.status == 400


# --- properties -------------------------------------------------------------------------------

# Text built from the characters the grammar cares about, so Hypothesis reaches deep paths.
_GRAMMAR_TEXT = st.text(
    alphabet=st.sampled_from(list("Digest rlmnoquaxc=,\"\\ \t<>*-%'01:@\r\n\x00é")), max_size=60
)
_TOKEN = st.from_regex(r"[A-Za-z0-9\-.!%*_+`'~]{1,12}", fullmatch=True)


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=80), _GRAMMAR_TEXT, _GRAMMAR_TEXT.map(lambda s: "Digest " + s)))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    for parse in (parse_challenge, parse_credentials):
        try:
            value = parse(text)
        except ParseError:
            continue
        assert parse(str(value)) == value  # whatever parses, round-trips


@given(
    scheme=_TOKEN,
    params=st.lists(st.tuples(_TOKEN.map(str.lower), st.text(max_size=20)), min_size=1, max_size=5),
)
def test_round_trip_any_scheme_and_values(scheme: str, params: list[tuple[str, str]]) -> None:
    if scheme.lower() == "digest":
        scheme = "X" + scheme
    c = Challenge(scheme, tuple(params))
    assert parse_challenge(str(c)) == c
    cr = Credentials(scheme, tuple(params))
    assert parse_credentials(str(cr)) == cr


_SAFE_TEXT = st.text(st.characters(blacklist_characters="\r\n\x00"), max_size=20)


@given(
    realm=_SAFE_TEXT,
    nonce=_SAFE_TEXT,
    opaque=st.none() | _SAFE_TEXT,
    algorithm=_TOKEN,
    qop=st.lists(_TOKEN, max_size=3).map(tuple),
    stale=st.booleans(),
)
def test_build_challenge_round_trips(
    realm: str,
    nonce: str,
    opaque: str | None,
    algorithm: str,
    qop: tuple[str, ...],
    stale: bool,
) -> None:
    c = build_challenge(
        realm=realm, nonce=nonce, algorithm=algorithm, qop=qop, opaque=opaque, stale=stale
    )
    again = parse_challenge(str(c))
    assert again == c
    assert (again.realm, again.nonce, again.opaque, again.stale) == (realm, nonce, opaque, stale)
    assert again.qop_options == tuple(o.lower() for o in qop)
