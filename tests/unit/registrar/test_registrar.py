"""The registrar, RFC 3261 §10.3 steps 6 to 8 and RFC 3327 §5.3, with a fake `now`."""

from __future__ import annotations

import pytest

import sipwarden.registrar.registrar as registrar_module
from sipwarden.errors import LocalError
from sipwarden.sip import Request, Uri, build_response, parse_message, parse_uri

from .helpers import AOR, NOW, apply, binding, header, register, registrar

PHONE = "sip:alice@192.0.2.1:5060"
DESK = "sip:alice@192.0.2.2:5060"


def test_add_binding_with_default_expiry_records_the_request() -> None:
    result, new = apply(register(f"<{PHONE}>"))
    assert (result.status, result.reason, result.code) == (200, "OK", "ok")
    assert header(result, "Contact") == [f"<{PHONE}>;expires=3600"]
    [b] = new
    assert (b.aor, b.contact, b.expires_at, b.call_id, b.cseq) == (
        AOR, PHONE, NOW + 3600, "call-1", 1,
    )  # fmt: skip
    assert (b.source, b.user_agent, b.registered_at) == ("udp:192.0.2.1:5060", "TestPhone/1.0", NOW)
    assert result.bindings == (b,)


def test_refresh_updates_expiry_and_cseq_and_keeps_registered_at() -> None:
    _, first = apply(register(f"<{PHONE}>", expires=600))
    later = NOW + 500
    result, new = apply(register(f"<{PHONE}>", expires=600, cseq=2), first, now=later)
    [b] = new
    assert (b.expires_at, b.cseq, b.registered_at) == (later + 600, 2, NOW)
    assert header(result, "Contact") == [f"<{PHONE}>;expires=600"]


def test_contact_uri_matching_follows_19_1_4() -> None:
    current = [binding("sip:alice@Host.Example.com", NOW + 100)]
    _, new = apply(register("<sip:alice@host.example.COM>", cseq=2), current)
    assert [b.contact for b in new] == ["sip:alice@host.example.COM"]


def test_expires_zero_header_removes_the_binding() -> None:
    current = [binding(PHONE, NOW + 100), binding(DESK, NOW + 100)]
    result, new = apply(register(f"<{PHONE}>", expires=0, cseq=2), current)
    assert result.status == 200
    assert [b.contact for b in new] == [DESK]
    assert header(result, "Contact") == [f"<{DESK}>;expires=100"]


def test_expires_zero_param_removes_and_unknown_removal_is_fine() -> None:
    current = [binding(PHONE, NOW + 100)]
    result, new = apply(register(f"<{PHONE}>;expires=0", f"<{DESK}>;expires=0", cseq=2), current)
    assert (result.status, new, header(result, "Contact")) == (200, [], [])


def test_contact_expires_param_wins_over_expires_header() -> None:
    result, new = apply(register(f"<{PHONE}>;expires=120", f"<{DESK}>", expires=600))
    assert {b.contact: b.expires_at - NOW for b in new} == {PHONE: 120, DESK: 600}
    assert sorted(header(result, "Contact")) == [
        f"<{PHONE}>;expires=120",
        f"<{DESK}>;expires=600",
    ]


def test_star_with_expires_zero_removes_every_binding() -> None:
    current = [binding(PHONE, NOW + 100), binding(DESK, NOW + 100, call_id="other", cseq=9)]
    result, new = apply(register("*", expires=0, call_id="call-1", cseq=2), current)
    assert (result.status, new, header(result, "Contact")) == (200, [], [])


@pytest.mark.parametrize(
    ("contacts", "expires"),
    [
        (("*", f"<{PHONE}>"), 0),  # not the only Contact
        (("*, <sip:alice@192.0.2.9>",), 0),  # same, on one line
        (("*",), 10),  # non-zero expiry
        (("*",), None),  # no Expires header at all
        (("*;expires=0",), 0),  # STAR takes no parameters (§20.10)
    ],
)
def test_star_misuse_is_400(contacts: tuple[str, ...], expires: int | None) -> None:
    current = [binding(PHONE, NOW + 100)]
    result, new = apply(register(*contacts, expires=expires, cseq=2), current)
    assert (result.status, result.code) == (400, "bad-star")
    assert new == current


def test_star_with_same_call_id_and_old_cseq_fails_500_and_changes_nothing() -> None:
    current = [binding(PHONE, NOW + 100, cseq=5), binding(DESK, NOW + 100, call_id="x")]
    result, new = apply(register("*", expires=0, cseq=5), current)
    assert (result.status, result.code) == (500, "out-of-order")
    assert "CSeq 5 not above 5" in result.reason
    assert new == current


@pytest.mark.parametrize("cseq", [4, 5])
def test_same_call_id_and_cseq_not_higher_fails_500(cseq: int) -> None:
    current = [binding(PHONE, NOW + 100, cseq=5)]
    for request in (
        register(f"<{PHONE}>", cseq=cseq),
        register(f"<{PHONE}>", expires=0, cseq=cseq),
        register(f"<{DESK}>", f"<{PHONE}>", cseq=cseq),  # the new DESK is not committed either
    ):
        result, new = apply(request, current)
        assert (result.status, result.code, new) == (500, "out-of-order", current)
        assert result.reason.startswith("Out of order REGISTER")


def test_other_call_id_updates_whatever_its_cseq() -> None:
    current = [binding(PHONE, NOW + 100, cseq=50)]
    result, new = apply(register(f"<{PHONE}>", call_id="rebooted", cseq=1), current)
    assert result.status == 200
    assert [(b.call_id, b.cseq, b.expires_at) for b in new] == [("rebooted", 1, NOW + 3600)]
    result, new = apply(register(f"<{PHONE}>", expires=0, call_id="again", cseq=1), current)
    assert (result.status, new) == (200, [])


def test_interval_below_minimum_is_423_with_min_expires() -> None:
    current = [binding(DESK, NOW + 100)]
    for request in (
        register(f"<{PHONE}>", expires=30),
        register(f"<{PHONE}>;expires=59", f"<{DESK}>", cseq=2),
    ):
        result, new = apply(request, current)
        assert (result.status, result.reason, result.code) == (
            423, "Interval Too Brief", "interval-too-brief",
        )  # fmt: skip
        assert result.headers == (("Min-Expires", "60"),)
        assert new == current


def test_minimum_itself_is_accepted_and_maximum_is_capped() -> None:
    result, new = apply(register(f"<{PHONE}>;expires=60", f"<{DESK}>", expires=99999))
    assert {b.contact: b.expires_at - NOW for b in new} == {PHONE: 60, DESK: 3600}
    assert f"<{DESK}>;expires=3600" in header(result, "Contact")


def test_q_values_order_the_listing_and_are_echoed() -> None:
    result, new = apply(
        register("<sip:a@192.0.2.1>;q=0.1", "<sip:b@192.0.2.2>;q=0.9", "<sip:c@192.0.2.3>")
    )
    assert header(result, "Contact") == [
        "<sip:c@192.0.2.3>;expires=3600",
        "<sip:b@192.0.2.2>;expires=3600;q=0.9",
        "<sip:a@192.0.2.1>;expires=3600;q=0.1",
    ]
    assert sorted(b.q or 0 for b in new) == [0, 0.1, 0.9]


@pytest.mark.parametrize("q", ["1.5", "abc", "0.1234", "-1"])
def test_bad_q_value_is_400(q: str) -> None:
    result, new = apply(register(f"<{PHONE}>;q={q}"))
    assert (result.status, result.code, new) == (400, "malformed", [])


def test_q_boundaries_are_accepted() -> None:
    result, new = apply(register("<sip:a@192.0.2.1>;q=0", "<sip:b@192.0.2.2>;q=1.000"))
    assert result.status == 200
    assert sorted(header(result, "Contact"))[0].endswith(";q=0")
    assert {b.q for b in new} == {0.0, 1.0}


def test_too_many_contacts_is_403_and_commits_nothing() -> None:
    reg = registrar(max_contacts=2)
    current = [binding(PHONE, NOW + 100), binding(DESK, NOW + 100)]
    result, new = apply(register("<sip:alice@192.0.2.3>", cseq=2), current, reg=reg)
    assert (result.status, result.code, new) == (403, "too-many-contacts", current)
    assert "max 2" in result.reason
    three = register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.2>", "<sip:c@192.0.2.3>")
    assert apply(three, reg=reg)[0].status == 403


def test_a_flood_of_contacts_is_refused_before_comparing_them() -> None:
    flood = ", ".join(f"<sip:a{i}@192.0.2.1>;expires=0" for i in range(2000))
    current = [binding(PHONE, NOW + 100)]
    result, new = apply(register(flood, cseq=2), current)
    assert (result.status, result.code, new) == (403, "too-many-contacts", current)


def test_an_aor_over_a_lowered_limit_can_refresh_and_remove() -> None:
    reg = registrar(max_contacts=1)
    current = [binding(PHONE, NOW + 100), binding(DESK, NOW + 100)]
    result, new = apply(register(f"<{PHONE}>", cseq=2), current, reg=reg)
    assert (result.status, len(new)) == (200, 2)
    result, new = apply(register(f"<{PHONE}>", expires=0, cseq=3), new, reg=reg)
    assert (result.status, [b.contact for b in new]) == (200, [DESK])


def test_replacing_a_contact_at_the_limit_is_allowed() -> None:
    reg = registrar(max_contacts=1)
    current = [binding(PHONE, NOW + 100)]
    request = register(f"<{PHONE}>;expires=0", f"<{DESK}>", cseq=2)
    result, new = apply(request, current, reg=reg)
    assert (result.status, [b.contact for b in new]) == (200, [DESK])


def test_contact_pointing_at_the_proxy_is_403() -> None:
    current = [binding(PHONE, NOW + 100)]
    result, new = apply(register(f"<{DESK}>", "<sip:alice@PROXY.example.com:5060>"), current)
    assert (result.status, result.reason, result.code) == (
        403, "Contact points at this proxy", "self-contact",
    )  # fmt: skip
    assert new == current


def test_path_is_stored_and_echoed_when_supported() -> None:
    paths = ["<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>"]
    request = register(f"<{PHONE}>", path=paths, supported="path, outbound")
    result, [b] = apply(request)
    assert b.path == tuple(paths)
    assert header(result, "Path") == paths
    assert header(result, "Supported") == ["path"]


def test_path_is_stored_but_not_echoed_without_supported_path() -> None:
    result, [b] = apply(register(f"<{PHONE}>", path=["<sip:edge.example.net;lr>"]))
    assert b.path == ("<sip:edge.example.net;lr>",)
    assert header(result, "Path") == [] and header(result, "Supported") == []


def test_malformed_path_is_400() -> None:
    result, new = apply(register(f"<{PHONE}>", path=["<sip:edge.example.net"]))
    assert (result.status, new) == (400, [])


def test_query_lists_bindings_with_remaining_expiry_and_changes_nothing() -> None:
    current = [binding(PHONE, NOW + 3600, q=0.5), binding(DESK, NOW + 1800)]
    later = NOW + 1000.4
    result, new = apply(register(), current, now=later)
    assert (result.status, new) == (200, current)
    assert header(result, "Contact") == [
        f"<{DESK}>;expires=799",
        f"<{PHONE}>;expires=2599;q=0.5",
    ]


def test_200_lists_every_current_binding_not_only_the_new_one() -> None:
    current = [binding(DESK, NOW + 300, call_id="desk")]
    result, new = apply(register(f"<{PHONE}>", expires=600), current, now=NOW + 100)
    assert len(new) == 2
    assert sorted(header(result, "Contact")) == [
        f"<{PHONE}>;expires=600",
        f"<{DESK}>;expires=200",
    ]


def test_expired_bindings_are_neither_listed_nor_ordered_against() -> None:
    current = [binding(PHONE, NOW, cseq=9), binding(DESK, NOW - 5)]
    result, new = apply(register(f"<{PHONE}>", cseq=1), current)
    assert result.status == 200
    assert [(b.contact, b.cseq, b.registered_at) for b in new] == [(PHONE, 1, NOW)]


def test_contact_listed_twice_is_400() -> None:
    result, new = apply(register(f"<{PHONE}>", f"<{PHONE}>;expires=0"))
    assert (result.status, result.code, new) == (400, "duplicate-contact", [])


def test_bad_expires_header_and_param_are_400() -> None:
    assert apply(register(f"<{PHONE}>", expires="soon"))[0].status == 400
    assert apply(register(f"<{PHONE}>;expires=-1"))[0].status == 400


def test_instance_and_reg_id_are_stored() -> None:
    contact = f'<{PHONE}>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1'
    _, [b] = apply(register(contact))
    assert b.instance == "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"
    assert b.reg_id == 1
    _, [b] = apply(register(f"<{PHONE}>;+sip.instance=token-1"))
    assert (b.instance, b.reg_id) == ("token-1", None)


@pytest.mark.parametrize("reg_id", ["0", "x", "2147483648"])
def test_bad_reg_id_is_400(reg_id: str) -> None:
    assert apply(register(f"<{PHONE}>;reg-id={reg_id}"))[0].status == 400


def test_non_sip_contacts_can_be_registered() -> None:
    result, [b] = apply(register("<mailto:alice@example.com>"))
    assert (result.status, b.contact) == (200, "mailto:alice@example.com")


def test_date_header_is_rfc_1123_gmt() -> None:
    result, _ = apply(register())
    assert header(result, "Date") == ["Tue, 14 Nov 2023 22:13:20 GMT"]


def test_one_registrar_dates_each_answer_by_its_own_second() -> None:
    reg = registrar()
    dates = [
        header(apply(register(), now=now, reg=reg)[0], "Date")
        for now in (NOW, NOW + 0.9, NOW + 1, NOW + 86400, NOW + 0.5)
    ]
    assert dates == [
        ["Tue, 14 Nov 2023 22:13:20 GMT"],
        ["Tue, 14 Nov 2023 22:13:20 GMT"],
        ["Tue, 14 Nov 2023 22:13:21 GMT"],
        ["Wed, 15 Nov 2023 22:13:20 GMT"],
        ["Tue, 14 Nov 2023 22:13:20 GMT"],
    ]


@pytest.mark.skipif(
    not registrar_module.__file__ or not registrar_module.__file__.endswith(".py"),
    reason="counts calls through the module's globals, which a compiled module binds at build",
)
def test_a_refresh_finds_its_binding_by_text_without_parsing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stored contact is parsed only when its text differs from the Contact's (a URI equal
    under §19.1.4 but written otherwise, see test_contact_uri_matching_follows_19_1_4)."""
    parsed: list[str] = []

    def counting(text: str) -> Uri:
        parsed.append(text)
        return parse_uri(text)

    monkeypatch.setattr("sipwarden.registrar.registrar.parse_uri", counting)
    current = [binding(DESK, NOW + 100), binding(PHONE, NOW + 100)]
    _, new = apply(register(f"<{PHONE}>", cseq=2), current)
    assert sorted(b.contact for b in new) == [PHONE, DESK]
    assert parsed == [DESK]


def test_result_builds_a_parsable_response() -> None:
    request = register(f"<{PHONE}>;q=0.5", expires=600, path=["<sip:e.example;lr>"],
                       supported="path")  # fmt: skip
    result, _ = apply(request)
    response = parse_message(build_response(request, result.status, result.reason,
                                            headers=result.headers).serialize())  # fmt: skip
    [contact] = response.contacts
    assert (contact.uri_text, contact.expires, contact.q) == (PHONE, 600, 0.5)
    assert [p.uri_text for p in response.paths] == ["sip:e.example;lr"]
    refused, _ = apply(register(f"<{PHONE}>", expires=5))
    response = parse_message(build_response(request, refused.status, refused.reason,
                                            headers=refused.headers).serialize())  # fmt: skip
    assert response.min_expires == 60


def test_only_register_is_handled() -> None:
    wire = register().serialize().replace(b"REGISTER sip:", b"OPTIONS sip:")
    options = parse_message(wire.replace(b"1 REGISTER", b"1 OPTIONS"))
    assert isinstance(options, Request)
    with pytest.raises(LocalError):
        apply(options)
