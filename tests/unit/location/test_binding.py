"""Binding is a value: equal and hashed by every field, as the stores' change detection needs."""

from __future__ import annotations

import pytest

from sipwarden.location.binding import Binding, sorted_bindings

NOW = 1_700_000_000.0
FIELDS = dict(
    aor="sip:alice@example.com",
    contact="sip:alice@192.0.2.1:5060",
    expires_at=NOW + 3600,
    q=0.5,
    call_id="c1",
    cseq=2,
    path=("<sip:edge.example.com;lr>",),
    source="udp:192.0.2.1:5060",
    instance="<urn:uuid:1>",
    reg_id=1,
    user_agent="Phone/1.0",
    registered_at=NOW,
)
CHANGED = dict(
    aor="sip:bob@example.com",
    contact="sip:alice@192.0.2.2:5060",
    expires_at=NOW + 60,
    q=None,
    call_id="c2",
    cseq=3,
    path=(),
    source=None,
    instance=None,
    reg_id=None,
    user_agent=None,
    registered_at=NOW - 1,
)


def test_equal_bindings_are_equal_and_hash_alike() -> None:
    a, b = Binding(**FIELDS), Binding(**FIELDS)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_field_takes_part_in_equality(name: str) -> None:
    changed = Binding(**{**FIELDS, name: CHANGED[name]})
    assert changed != Binding(**FIELDS)


def test_defaults_and_positional_order_match_the_documented_fields() -> None:
    positional = Binding(*FIELDS.values())
    assert positional == Binding(**FIELDS)
    minimal = Binding("sip:a@x", "sip:a@192.0.2.1", NOW)
    assert (minimal.q, minimal.call_id, minimal.cseq, minimal.path) == (None, "", 0, ())
    assert (minimal.source, minimal.instance, minimal.reg_id) == (None, None, None)
    assert (minimal.user_agent, minimal.registered_at) == (None, 0.0)


def test_repr_names_every_field() -> None:
    text = repr(Binding(**FIELDS))
    assert all(f"{name}={value!r}" in text for name, value in FIELDS.items())


def test_sorted_bindings_returns_a_new_list_even_for_one() -> None:
    one = [Binding(**FIELDS)]
    ordered = sorted_bindings(one)
    assert ordered == one and ordered is not one
