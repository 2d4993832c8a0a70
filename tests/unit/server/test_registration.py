"""REGISTER end to end inside the process: §10.3 steps 1-8 over the in-memory stores."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from sipwarden.auth.config import AuthConfig
from sipwarden.auth.nonce_counts import MemoryNonceCounts, NonceCountStore, SqliteNonceCounts
from sipwarden.auth.store import MemoryCredentials
from sipwarden.location.memory import MemoryLocationStore
from sipwarden.location.sqlite import SqliteLocationStore
from sipwarden.location.store import LocationStore
from sipwarden.registrar.config import RegistrarConfig
from sipwarden.registrar.registrar import Registrar
from sipwarden.server.locality import Locality
from sipwarden.server.registration import Registration
from sipwarden.sip import Request, Response, parse_datagram
from sipwarden.sip.digest import Challenge, parse_challenge
from sipwarden.sip.request import build_request
from sipwarden.storage.sqlite import connect
from sipwarden.transport.address import Address, Received
from tests.unit.auth.helpers import NOW, PASSWORD, REALM, Client, make_auth, record

SOURCE = Address("UDP", "192.0.2.1", 5060)
LOCAL = Address("UDP", "192.0.2.10", 5060)


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which stores the rig uses: in memory, or the nonce-counts and bindings in one SQLite
    database (the server's embedded stores, which share one transaction per REGISTER)."""
    return str(request.param)


@dataclass
class Rig:
    backend: str = "memory"
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        locality = Locality.build([REALM], [("192.0.2.10", 5060)])
        self.location: LocationStore
        self.nonce_counts: NonceCountStore
        if self.backend == "sqlite":
            self.conn = connect(":memory:")
            self.location = SqliteLocationStore(self.conn)
            self.nonce_counts = SqliteNonceCounts(self.conn)
        else:
            self.location = MemoryLocationStore()
            self.nonce_counts = MemoryNonceCounts()
        self.registration = Registration(
            locality=locality,
            auth=make_auth(AuthConfig(algorithms=("SHA-256", "MD5"))),
            users=MemoryCredentials([record("alice"), record("bob")]),
            nonce_counts=self.nonce_counts,
            location=self.location,
            registrar=Registrar(RegistrarConfig(), is_self=locality.is_self),
            wallclock=self.clock,
        )

    def contacts(self, user: str = "alice") -> list[str]:
        bindings = asyncio.run(self.location.lookup(f"sip:{user}@{REALM}", self.clock.now))
        return [b.contact for b in bindings]

    def send(self, request: Request) -> Response:
        received = Received(request, SOURCE, LOCAL)
        return asyncio.run(self.registration.answer(request, received))

    def login(self, request_of: RequestOf, client: Client, algorithm: str = "SHA-256") -> Response:
        """REGISTER, take the challenge for `algorithm`, REGISTER again with `client`'s answer."""
        challenge = self.challenge(self.send(request_of(2, None)), algorithm)
        unsigned = request_of(3, None)
        return self.send(request_of(3, client.authorization(challenge, unsigned)))

    @staticmethod
    def challenge(response: Response, algorithm: str) -> Challenge:
        assert response.status == 401
        for value in response.header_lines("WWW-Authenticate"):
            parsed = parse_challenge(value)
            if parsed.algorithm == algorithm:
                return parsed
        raise AssertionError(f"no {algorithm} challenge")


class RequestOf:
    """REGISTER requests of one registration (same Call-ID), numbered by CSeq."""

    def __init__(self, user: str = "alice", to_user: str | None = None, **extra: str) -> None:
        self.user, self.to_user, self.extra = user, to_user or user, extra

    def __call__(self, cseq: int, authorization: str | None) -> Request:
        headers = [
            ("Via", f"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg{cseq}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.user}@{REALM}>;tag=reg1"),
            ("To", f"<sip:{self.to_user}@{REALM}>"),
            ("Call-ID", f"reg-{self.user}@192.0.2.1"),
            ("CSeq", f"{cseq} REGISTER"),
            ("Contact", f"<sip:{self.user}@192.0.2.1:5062>"),
            *self.extra.items(),
        ]
        if authorization is not None:
            headers.append(("Authorization", authorization))
        request = build_request("REGISTER", f"sip:{REALM}", headers)
        return parse_datagram(request.serialize())  # type: ignore[return-value]


def test_a_register_without_credentials_is_challenged_once_per_algorithm(backend: str) -> None:
    response = Rig(backend).send(RequestOf()(1, None))
    assert (response.status, response.reason) == (401, "Unauthorized")
    algorithms = [parse_challenge(v).algorithm for v in response.header_lines("WWW-Authenticate")]
    assert algorithms == ["SHA-256", "MD5"]


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_the_right_password_binds_and_the_200_lists_the_binding(
    algorithm: str, backend: str
) -> None:
    rig = Rig(backend)
    response = rig.login(RequestOf(), Client("alice", PASSWORD), algorithm)
    assert response.status == 200
    assert response.values("Contact") == ["<sip:alice@192.0.2.1:5062>;expires=3600"]
    bindings = asyncio.run(rig.location.lookup(f"sip:alice@{REALM}", NOW))
    assert [b.source for b in bindings] == ["udp:192.0.2.1:5060"]


def _shape(response: Response) -> tuple[object, ...]:
    challenges = [parse_challenge(v) for v in response.header_lines("WWW-Authenticate")]
    return (
        response.status,
        response.reason,
        [name for name, _ in response.items()],
        [(c.realm, c.algorithm, c.stale) for c in challenges],
    )


def test_unknown_user_and_wrong_password_get_the_same_answer(backend: str) -> None:
    wrong = Rig(backend).login(RequestOf("alice"), Client("alice", "not the password"))
    unknown = Rig(backend).login(RequestOf("mallory"), Client("mallory", PASSWORD))
    assert wrong.status == 401
    assert _shape(wrong) == _shape(unknown)


def test_a_replayed_authorization_is_challenged_as_stale(backend: str) -> None:
    rig, request_of = Rig(backend), RequestOf()
    challenge = rig.challenge(rig.send(request_of(1, None)), "SHA-256")
    signed = request_of(2, Client("alice", PASSWORD).authorization(challenge, request_of(2, None)))
    assert rig.send(signed).status == 200
    replay = rig.send(request_of(2, signed.values("Authorization")[0]))
    assert replay.status == 401
    assert all(parse_challenge(v).stale for v in replay.header_lines("WWW-Authenticate"))


def test_an_authenticated_user_cannot_register_someone_elses_aor(backend: str) -> None:
    response = Rig(backend).login(RequestOf("alice", to_user="bob"), Client("alice", PASSWORD))
    assert (response.status, response.reason) == (403, "Forbidden")


def test_unregister_removes_the_binding(backend: str) -> None:
    rig = Rig(backend)
    assert rig.login(RequestOf(), Client("alice", PASSWORD)).status == 200
    removal = RequestOf(Expires="0")
    challenge = rig.challenge(rig.send(removal(10, None)), "SHA-256")
    signed = removal(
        11, Client("alice", PASSWORD, nc=1).authorization(challenge, removal(11, None))
    )
    response = rig.send(signed)
    assert response.status == 200
    assert response.values("Contact") == []


@pytest.mark.parametrize(
    ("uri", "to", "extra", "expected"),
    [
        ("sip:example.org", "sip:alice@example.com", (), (403, "Domain Not Served Here")),
        ("sip:example.com", "sip:alice@example.org", (), (404, "Not Found")),
        ("sip:example.com", "sip:alice@example.com", (("Require", "foo"),), (420, "Bad Extension")),
    ],
)
def test_requests_refused_before_authentication(
    uri: str, to: str, extra: tuple[tuple[str, str], ...], expected: tuple[int, str]
) -> None:
    headers = [
        ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpre"),
        ("From", f"<{to}>;tag=x"),
        ("To", f"<{to}>"),
        ("Call-ID", "pre@192.0.2.1"),
        ("CSeq", "1 REGISTER"),
        ("Contact", "<sip:alice@192.0.2.1:5062>"),
        *extra,
    ]
    response = Rig().send(build_request("REGISTER", uri, headers))
    assert (response.status, response.reason) == expected
    if expected[0] == 420:
        assert response.values("Unsupported") == ["foo"]


def test_a_malformed_authorization_header_gets_400(backend: str) -> None:
    response = Rig(backend).send(RequestOf()(1, "Digest username=alice, realm"))
    assert response.status == 400


def test_a_replayed_authorization_binds_no_other_contact(backend: str) -> None:
    """The digest covers the method and Request-URI, not the Contact: a replay that adds a
    Contact is refused as stale and binds nothing."""
    rig, request_of = Rig(backend), RequestOf()
    challenge = rig.challenge(rig.send(request_of(1, None)), "SHA-256")
    signed = request_of(2, Client("alice", PASSWORD).authorization(challenge, request_of(2, None)))
    assert rig.send(signed).status == 200
    moved = RequestOf(Contact="<sip:mallory@203.0.113.9:5060>")
    replay = rig.send(moved(3, signed.values("Authorization")[0]))
    assert replay.status == 401
    assert all(parse_challenge(v).stale for v in replay.header_lines("WWW-Authenticate"))
    assert rig.contacts() == ["sip:alice@192.0.2.1:5062"]


def test_a_forbidden_register_still_uses_up_its_nonce_count(backend: str) -> None:
    """Step 4's 403 comes after the nonce-count was recorded: the same credentials sent again
    are a replay (401 stale), not another 403."""
    rig, request_of = Rig(backend), RequestOf("alice", to_user="bob")
    challenge = rig.challenge(rig.send(request_of(1, None)), "SHA-256")
    signed = request_of(2, Client("alice", PASSWORD).authorization(challenge, request_of(2, None)))
    assert rig.send(signed).status == 403
    again = rig.send(signed)
    assert again.status == 401
    assert all(parse_challenge(v).stale for v in again.header_lines("WWW-Authenticate"))
    assert rig.contacts("bob") == []


def test_one_database_commits_the_nonce_count_with_the_bindings() -> None:
    rig, request_of = Rig("sqlite"), RequestOf()
    challenge = rig.challenge(rig.send(request_of(1, None)), "SHA-256")
    signed = request_of(2, Client("alice", PASSWORD).authorization(challenge, request_of(2, None)))
    seen: list[str] = []
    rig.conn.set_trace_callback(lambda sql: seen.append(" ".join(sql.split()[:3])))
    assert rig.send(signed).status == 200
    writes = [sql for sql in seen if not sql.startswith("SELECT")]
    assert writes == [
        "BEGIN IMMEDIATE",
        "DELETE FROM nonce_counts",  # the periodic sweep, due on the first use
        "INSERT INTO nonce_counts",
        "INSERT INTO location_binding",
        "COMMIT",
    ]
