"""Transaction keys: §17.1.3 (client), §17.2.3 (server, with the RFC 2543 fallback), §9.2."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError
from sipwarden.sip import Request, parse_datagram
from sipwarden.transaction import (
    ClientKey,
    LegacyServerKey,
    ServerKey,
    build_ack,
    cancel_target_key,
    client_key,
    legacy_ack_key,
    response_key,
    server_key,
)
from tests.unit.transaction.helpers import BRANCH, make_request, reparse, respond


def with_bytes(request: Request, old: bytes, new: bytes) -> Request:
    changed = parse_datagram(request.serialize().replace(old, new))
    assert isinstance(changed, Request)
    return changed


# ----- client side (§17.1.3) ------------------------------------------------------------------
def test_response_matches_by_branch_and_cseq_method() -> None:
    invite = make_request("INVITE")
    assert client_key(invite) == ClientKey(BRANCH.lower(), "INVITE")
    assert response_key(respond(invite, 180)) == client_key(invite)
    cancel = make_request("CANCEL")
    assert response_key(respond(cancel, 200)) == ClientKey(BRANCH.lower(), "CANCEL")
    assert response_key(respond(cancel, 200)) != client_key(invite)


def test_branch_compares_caseless() -> None:
    """§7.3.1: parameter values are case-insensitive unless the header says otherwise."""
    response = respond(make_request("INVITE"), 200)
    shouted = parse_datagram(response.serialize().replace(BRANCH.encode(), b"z9hG4bK776ASDHDS"))
    assert response_key(shouted) == response_key(response)  # type: ignore[arg-type]


def test_response_without_branch_matches_nothing() -> None:
    response = respond(make_request("INVITE", branch=None), 486)
    assert response_key(response) is None


def test_client_key_needs_the_magic_cookie() -> None:
    with pytest.raises(LocalError):
        client_key(make_request(branch="1234"))


# ----- server side, RFC 3261 branch (§17.2.3) -------------------------------------------------
def test_server_key_is_branch_sent_by_and_method() -> None:
    invite = make_request("INVITE", sent_by="Proxy.Atlanta.example:5060")
    assert server_key(invite) == ServerKey(BRANCH.lower(), "proxy.atlanta.example:5060", "INVITE")
    assert server_key(reparse(invite)) == server_key(invite)


def test_ack_for_a_non_2xx_matches_the_invite_transaction() -> None:
    invite = make_request("INVITE")
    ack = build_ack(invite, respond(invite, 486))
    assert server_key(ack) == server_key(invite)


def test_sent_by_is_part_of_the_key() -> None:
    """Two clients that picked the same branch are kept apart by sent-by."""
    a = make_request("INVITE", sent_by="a.example")
    assert server_key(make_request("INVITE", sent_by="b.example")) != server_key(a)
    assert server_key(make_request("INVITE", sent_by="a.example:5070")) != server_key(a)


def test_cancel_has_its_own_transaction_and_names_the_invite() -> None:
    invite, cancel = make_request("INVITE"), make_request("CANCEL")
    assert server_key(cancel) != server_key(invite)
    assert server_key(cancel).method == "CANCEL"
    assert cancel_target_key(cancel) == server_key(invite)


def test_cancel_from_another_sent_by_names_no_invite_of_ours() -> None:
    invite = make_request("INVITE")
    cancel = make_request("CANCEL", sent_by="evil.example")
    assert cancel_target_key(cancel) != server_key(invite)


def test_cancel_target_key_needs_a_cancel() -> None:
    with pytest.raises(LocalError):
        cancel_target_key(make_request("INVITE"))


# ----- server side, RFC 2543 fallback ---------------------------------------------------------
LEGACY = "1234abcd"


def test_legacy_key_fields() -> None:
    invite = make_request("INVITE", branch=LEGACY)
    key = server_key(invite)
    assert isinstance(key, LegacyServerKey)
    assert (key.request_uri, key.to_tag, key.from_tag) == (
        "sip:bob@biloxi.example",
        None,
        "1928301774",
    )
    assert (key.call_id, key.cseq, key.method) == (
        "a84b4c76e66710@pc33.atlanta.example",
        314159,
        "INVITE",
    )


@pytest.mark.parametrize("branch", [None, LEGACY, "z9hG4bK"])
def test_legacy_retransmission_matches(branch: str | None) -> None:
    invite = make_request("INVITE", branch=branch)
    assert isinstance(server_key(invite), LegacyServerKey)
    assert server_key(reparse(invite)) == server_key(invite)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"INVITE sip:bob@biloxi.example", b"INVITE sip:carol@biloxi.example"),  # Request-URI
        (b"tag=1928301774", b"tag=999"),  # From tag
        (b"To: Bob <sip:bob@biloxi.example>", b"To: Bob <sip:bob@biloxi.example>;tag=x"),
        (b"Call-ID: a84b", b"Call-ID: ffff"),
        (b"CSeq: 314159", b"CSeq: 314160"),
        (b"Via: SIP/2.0/UDP proxy.atlanta.example:5060", b"Via: SIP/2.0/UDP other.example"),
    ],
)
def test_legacy_key_changes_with_each_field(old: bytes, new: bytes) -> None:
    invite = make_request("INVITE", branch=LEGACY)
    assert server_key(with_bytes(invite, old, new)) != server_key(invite)


def test_legacy_key_ignores_case_where_rfc_does() -> None:
    invite = make_request("INVITE", branch=LEGACY)
    shouted = with_bytes(
        invite,
        b"proxy.atlanta.example:5060;branch=1234abcd",
        b"PROXY.atlanta.example:5060;BRANCH=1234ABCD",
    )
    assert server_key(shouted) == server_key(invite)
    other_call = with_bytes(invite, b"Call-ID: a84b", b"Call-ID: A84B")
    assert server_key(other_call) != server_key(invite)  # §20.8: Call-ID is case-sensitive


def test_legacy_ack_matches_by_the_to_tag_of_the_response() -> None:
    invite = make_request("INVITE", branch=LEGACY)
    busy = respond(invite, 486, to_tag="uas-tag")
    ack = parse_datagram(build_ack(invite, busy).serialize())
    assert isinstance(ack, Request)
    assert server_key(ack) == legacy_ack_key(invite, "uas-tag")
    assert server_key(ack) != legacy_ack_key(invite, "another-tag")
    assert server_key(ack) != server_key(invite)


def test_legacy_cancel_names_the_invite() -> None:
    invite = make_request("INVITE", branch=LEGACY)
    cancel = make_request("CANCEL", branch=LEGACY)
    assert cancel_target_key(cancel) == server_key(invite)
    assert server_key(cancel) != server_key(invite)
    assert cancel_target_key(make_request("CANCEL", branch=LEGACY, from_tag="x")) != server_key(
        invite
    )


# ----- the keys as values ---------------------------------------------------------------------
def test_keys_compare_and_hash_by_their_fields() -> None:
    """Each key class has its own equality and hash (the table's dict lookup on every message);
    they must agree with each other and with `!=`, and keys of different classes never match."""
    keys: list[ClientKey | ServerKey | LegacyServerKey] = [
        ClientKey("z9hg4bk1", "INVITE"),
        ClientKey("z9hg4bk1", "CANCEL"),
        ClientKey("z9hg4bk2", "INVITE"),
        ServerKey("z9hg4bk1", "a.example", "INVITE"),
        ServerKey("z9hg4bk1", "b.example", "INVITE"),
        ServerKey("z9hg4bk2", "a.example", "INVITE"),
        ServerKey("z9hg4bk1", "a.example", "CANCEL"),
        server_key(make_request("INVITE", branch=LEGACY)),
        server_key(make_request("CANCEL", branch=LEGACY)),
        server_key(make_request("INVITE", branch=LEGACY, to_tag="t")),
        server_key(make_request("INVITE", branch=LEGACY, from_tag="f")),
        server_key(make_request("INVITE", branch=LEGACY, cseq=1)),
        server_key(make_request("INVITE", branch=LEGACY, sent_by="other.example")),
    ]
    # equal values, distinct objects
    copies = [type(k)(*k._fields()) for k in keys]  # type: ignore[arg-type]
    for i, key in enumerate(keys):
        assert copies[i] is not key and copies[i] == key
        assert not copies[i] != key  # noqa: SIM202 (`!=` is a method of its own)
        assert hash(copies[i]) == hash(key)
        for j, other in enumerate(keys):
            assert (key == other) is (i == j) and (key != other) is (i != j)
    assert {copy: n for n, copy in enumerate(copies)} == {key: n for n, key in enumerate(keys)}
    assert ClientKey("b", "INVITE") != ("b", "INVITE")


def test_keys_repr_names_their_fields() -> None:
    assert repr(ClientKey("z9hg4bk1", "INVITE")) == "ClientKey(branch='z9hg4bk1', method='INVITE')"
    assert repr(ServerKey("z9hg4bk1", "a.example", "BYE")) == (
        "ServerKey(branch='z9hg4bk1', sent_by='a.example', method='BYE')"
    )
    legacy = server_key(make_request("INVITE", branch=LEGACY))
    assert repr(legacy).startswith("LegacyServerKey(request_uri='sip:bob@biloxi.example', to_tag")
