"""Property tests: any user and password round-trip (a client computing the response from the
RFC formulas is accepted), and changing one character of the response is rejected."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.hashes import ha1_all
from sipwarden.auth.outcome import Authenticated, Failed
from sipwarden.auth.store import UserRecord
from sipwarden.sip.digest import parse_credentials
from sipwarden.sip.message import Request

from .helpers import NOW, REALM, Client, make_auth, make_request, signed_request

AUTH = make_auth(
    AuthConfig(algorithms=("SHA-256", "MD5", "SHA-512-256", "MD5-sess"), qop=("auth", "auth-int"))
)
USERS = st.text(
    alphabet=st.characters(
        categories=("L", "N"), include_characters="-_.!~*'()&=+$,;?/", exclude_characters="\x00"
    ),
    min_size=1,
    max_size=20,
)
PASSWORDS = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
HEX = "0123456789abcdef"


def _signed(user: str, password: str, algorithm: str, qop: str, nc: int) -> Request:
    client = Client(username=user, password=password, qop=qop, nc=nc, cnonce="c" + user[:4])
    return signed_request(AUTH, client, algorithm, body=b"v=0\r\n")


@given(
    user=USERS,
    password=PASSWORDS,
    algorithm=st.sampled_from(AUTH.config.algorithms),
    qop=st.sampled_from(("auth", "auth-int")),
    nc=st.integers(1, 0xFFFFFFFF),
)
def test_client_response_is_accepted(
    user: str, password: str, algorithm: str, qop: str, nc: int
) -> None:
    rec = UserRecord(user, REALM, ha1_all(user, REALM, password))
    request = _signed(user, password, algorithm, qop, nc)
    creds = AUTH.credentials(request, REALM, proxy=False)
    assert creds is not None
    verdict = AUTH.verify(request, REALM, creds, rec, now=NOW)
    assert isinstance(verdict, Authenticated)
    assert (verdict.user, verdict.algorithm, verdict.nc) == (user, algorithm, nc)


@given(
    user=USERS,
    password=PASSWORDS,
    algorithm=st.sampled_from(AUTH.config.algorithms),
    index=st.integers(0, 63),
    shift=st.integers(1, 15),
)
def test_one_changed_response_character_is_rejected(
    user: str, password: str, algorithm: str, index: int, shift: int
) -> None:
    rec = UserRecord(user, REALM, ha1_all(user, REALM, password))
    request = _signed(user, password, algorithm, "auth", 1)
    creds = AUTH.credentials(request, REALM, proxy=False)
    assert creds is not None and creds.response is not None
    response = creds.response
    i = index % len(response)
    changed = response[:i] + HEX[(HEX.index(response[i]) + shift) % 16] + response[i + 1 :]
    forged = parse_credentials(str(creds).replace(response, changed))
    value = str(forged)
    tampered = make_request(extra=(("Authorization", value),), body=b"v=0\r\n")
    verdict = AUTH.verify(tampered, REALM, forged, rec, now=NOW)
    assert verdict == Failed(stale=False, reason="bad_password")
