"""sipwarden.value.Value, through the classes that use it: equality, hashing and repr by
fields, as the frozen dataclasses they replace gave (same class only).

The subclasses come from compiled modules: a test module cannot subclass `Value` itself on the
compiled build (an interpreted class may not inherit from a compiled one)."""

from __future__ import annotations

from sipwarden.sip.digest import Challenge, Credentials
from sipwarden.transport.address import Address, Destination

PARAMS = (("realm", "example.com"), ("nonce", "abc"))


def test_equal_fields_are_equal_and_hash_alike() -> None:
    assert Address("UDP", "192.0.2.1", 5060) == Address("UDP", "192.0.2.1", 5060)
    assert hash(Address("UDP", "192.0.2.1", 5060)) == hash(Address("UDP", "192.0.2.1", 5060))
    table = {Destination(Address("UDP", "192.0.2.1", 5060)): "x"}
    assert table[Destination(Address("UDP", "192.0.2.1", 5060), None)] == "x"


def test_any_different_field_makes_them_differ() -> None:
    base = Address("UDP", "192.0.2.1", 5060)
    assert base != Address("TCP", "192.0.2.1", 5060)
    assert base != Address("UDP", "192.0.2.2", 5060)
    assert base != Address("UDP", "192.0.2.1", 5061)
    assert Destination(base) != Destination(base, 7)


def test_another_class_with_the_same_fields_is_not_equal() -> None:
    assert Challenge("Digest", PARAMS) == Challenge("Digest", PARAMS)
    assert Challenge("Digest", PARAMS) != Credentials("Digest", PARAMS)
    assert Credentials("Digest", PARAMS) != Challenge("Digest", PARAMS)
    assert Address("UDP", "192.0.2.1", 5060) != ("UDP", "192.0.2.1", 5060)
    assert Address("UDP", "192.0.2.1", 5060).__eq__(("UDP", "192.0.2.1", 5060)) is NotImplemented


def test_repr_names_the_class_and_its_fields() -> None:
    address = Address("UDP", "192.0.2.1", 5060)
    assert repr(address) == "Address(transport='UDP', host='192.0.2.1', port=5060)"
    assert repr(Destination(address)) == f"Destination(address={address!r}, connection=None)"
