"""No user enumeration (project issue #4): an unknown user and a known user with a wrong
password get the same answer on the wire, and verify() does the same hashing work for both."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.digest_auth import DigestAuth
from sipwarden.auth.hashes import ha1, hash_function
from sipwarden.auth.outcome import Failed
from sipwarden.auth.store import UserRecord
from sipwarden.sip.message import Request, Response
from sipwarden.sip.response import build_response

from .helpers import NOW, PASSWORD, REALM, SECRET, Client, FakeRandom, record, signed_request

ALL = AuthConfig(
    algorithms=("SHA-256", "MD5", "SHA-512-256", "SHA-256-sess"), qop=("auth", "auth-int")
)


class CountingHasher:
    """A `hasher` that logs (algorithm, input length) of every hash computed."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []

    def __call__(self, algorithm: str) -> Callable[[bytes], str]:
        h = hash_function(algorithm)

        def counted(data: bytes) -> str:
            self.log.append((algorithm, len(data)))
            return h(data)

        return counted


def answer(auth: DigestAuth, request: Request, rec: UserRecord | None, *, proxy: bool) -> Response:
    """What the adapter sends back (module docstring of digest_auth, step 3)."""
    creds = auth.credentials(request, REALM, proxy=proxy)
    assert creds is not None
    verdict = auth.verify(request, REALM, creds, rec, now=NOW + 1)
    assert isinstance(verdict, Failed)
    challenged = auth.challenge(request, REALM, proxy=proxy, now=NOW + 1, stale=verdict.stale)
    return build_response(request, challenged.status, challenged.reason, headers=challenged.headers)


def wire_shape(response: Response) -> tuple[object, ...]:
    challenges = response.www_authenticate + response.proxy_authenticate
    return (
        response.status,
        response.reason,
        [name for name, _ in response.items()],
        [(c.realm, c.algorithm, c.qop_options, c.stale, c.opaque) for c in challenges],
    )


@pytest.mark.parametrize("proxy", [False, True])
@pytest.mark.parametrize("algorithm", ALL.algorithms)
def test_unknown_user_and_wrong_password_look_the_same_on_the_wire(
    proxy: bool, algorithm: str
) -> None:
    auth = DigestAuth(ALL, SECRET, FakeRandom())
    method, uri = ("INVITE", "sip:bob@example.com") if proxy else ("REGISTER", "sip:example.com")
    wrong = signed_request(
        auth, Client(password="guess"), algorithm, proxy=proxy, method=method, uri=uri
    )
    unknown = signed_request(
        auth, Client(username="nobody"), algorithm, proxy=proxy, method=method, uri=uri
    )
    a = answer(auth, wrong, record(), proxy=proxy)
    b = answer(auth, unknown, None, proxy=proxy)
    assert wire_shape(a) == wire_shape(b)
    assert a.status == (407 if proxy else 401)


def test_internal_reasons_differ_but_nothing_else() -> None:
    auth = DigestAuth(AuthConfig(), SECRET, FakeRandom())
    wrong = signed_request(auth, Client(password="guess"))
    unknown = signed_request(auth, Client(username="nobody"))
    verdicts = []
    for request, rec in ((wrong, record()), (unknown, None)):
        creds = auth.credentials(request, REALM, proxy=False)
        assert creds is not None
        verdicts.append(auth.verify(request, REALM, creds, rec, now=NOW))
    assert verdicts == [Failed(False, "bad_password"), Failed(False, "unknown_user")]


def _work(
    auth_hasher: CountingHasher,
    request_client: Client,
    rec: UserRecord | None,
    algorithm: str,
    qop: str,
) -> list[tuple[str, int]]:
    auth = DigestAuth(ALL, SECRET, FakeRandom(), hasher=auth_hasher)
    request = signed_request(auth, request_client, algorithm, body=b"v=0\r\n")
    creds = auth.credentials(request, REALM, proxy=False)
    assert creds is not None
    auth_hasher.log.clear()
    verdict = auth.verify(request, REALM, creds, rec, now=NOW)
    assert isinstance(verdict, Failed)
    return list(auth_hasher.log)


@pytest.mark.parametrize("algorithm", ALL.algorithms)
@pytest.mark.parametrize("qop", ["auth", "auth-int"])
def test_failure_paths_do_the_same_hash_work(algorithm: str, qop: str) -> None:
    """Wrong password, unknown user, and an account without HA1 for the algorithm: the same
    hashes over inputs of the same length, so the same time (the dummy HA1 is computed on every
    path, stored or not)."""
    base = algorithm.removesuffix("-sess")
    no_ha1 = UserRecord(
        "alice",
        REALM,
        {
            a: ha1(a, "alice", REALM, PASSWORD)
            for a in ("MD5", "SHA-256", "SHA-512-256")
            if a != base
        },
    )
    wrong = _work(CountingHasher(), Client(password="guess", qop=qop), record(), algorithm, qop)
    unknown = _work(CountingHasher(), Client(username="nobody", qop=qop), None, algorithm, qop)
    missing = _work(CountingHasher(), Client(qop=qop), no_ha1, algorithm, qop)
    assert wrong == unknown == missing
    # The dummy HA1, the "-sess" HA1, H(body) for auth-int, A2, the response.
    expected = 3 + algorithm.endswith("-sess") + (qop == "auth-int")
    assert len(wrong) == expected


def test_success_does_the_same_hash_work_as_failure() -> None:
    hasher = CountingHasher()
    auth = DigestAuth(ALL, SECRET, FakeRandom(), hasher=hasher)
    good = signed_request(auth, Client())
    creds = auth.credentials(good, REALM, proxy=False)
    assert creds is not None
    hasher.log.clear()
    auth.verify(good, REALM, creds, record(), now=NOW)
    assert hasher.log == _work(CountingHasher(), Client(username="nobody"), None, "SHA-256", "auth")


def test_dummy_ha1_is_stable_per_user_and_unguessable() -> None:
    """An unknown user fails the same way every time (no tell-tale randomness), and a client who
    computes the response from an empty or guessed HA1 still fails."""
    auth = DigestAuth(AuthConfig(), SECRET, FakeRandom())
    for password in ("", "nobody", PASSWORD):
        request = signed_request(auth, Client(username="nobody", password=password))
        creds = auth.credentials(request, REALM, proxy=False)
        assert creds is not None
        assert auth.verify(request, REALM, creds, None, now=NOW) == Failed(False, "unknown_user")
