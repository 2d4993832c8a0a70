"""Flood protection: a sliding window per source address and method class."""

from __future__ import annotations

import ipaddress

import pytest

from sipwarden.security import Action, EventKind
from sipwarden.security.sources import method_class
from tests.unit.security.helpers import T0, drain, kinds, shield

LIMITS = {"REGISTER": 30, "INVITE": 20, "OPTIONS": 20, "MESSAGE": 50}


@pytest.mark.parametrize(("method", "limit"), list(LIMITS.items()))
def test_default_limit_allows_exactly_the_limit(method: str, limit: int) -> None:
    s = shield()
    for _ in range(limit):
        assert s.check_request("192.0.2.1", method, "phone", T0).allowed
    assert drain(s) == []
    verdict = s.check_request("192.0.2.1", method, "phone", T0)
    assert verdict.action is Action.DROP
    assert verdict.reason == "flood"
    assert verdict.rule == f"flood.{method_class(method)}: more than {limit} in 10 s"


def test_flood_emits_ban_then_drop_with_the_rule() -> None:
    s = shield(flood={"options": 3})
    for _ in range(4):
        s.check_request("192.0.2.1", "OPTIONS", None, T0)
    events = drain(s)
    assert kinds(events) == [(EventKind.BAN, "flood"), (EventKind.DROP, "flood")]
    assert events[0].source == "192.0.2.1"
    assert events[0].rule == "flood.options: more than 3 in 10 s"
    assert events[0].detail == "60 s, offence 1"
    assert events[1].detail == "OPTIONS"


def test_requests_leave_the_window_after_exactly_window_seconds() -> None:
    s = shield(flood={"options": 2, "window": 10.0})
    s.check_request("192.0.2.1", "OPTIONS", None, T0)
    s.check_request("192.0.2.1", "OPTIONS", None, T0 + 5)
    assert s.check_request("192.0.2.1", "OPTIONS", None, T0 + 10).allowed  # T0 just left
    assert not s.check_request("192.0.2.1", "OPTIONS", None, T0 + 10.5).allowed


def test_one_before_the_window_ends_is_still_counted() -> None:
    s = shield(flood={"options": 2, "window": 10.0})
    s.check_request("192.0.2.1", "OPTIONS", None, T0)
    s.check_request("192.0.2.1", "OPTIONS", None, T0 + 1)
    assert not s.check_request("192.0.2.1", "OPTIONS", None, T0 + 9.999).allowed


def test_method_classes_are_counted_separately() -> None:
    s = shield(flood={"options": 2, "register": 2})
    for method in ("OPTIONS", "OPTIONS", "REGISTER", "REGISTER", "BYE"):
        assert s.check_request("192.0.2.1", method, None, T0).allowed
    assert not s.check_request("192.0.2.1", "register", None, T0).allowed


def test_other_addresses_keep_flowing_during_a_flood() -> None:
    s = shield(flood={"options": 2})
    for _ in range(5):
        s.check_request("192.0.2.1", "OPTIONS", None, T0)
    assert s.check_request("192.0.2.2", "OPTIONS", None, T0).allowed
    assert s.check_request("192.0.2.2", "OPTIONS", None, T0).allowed


def test_banned_address_is_dropped_for_every_method_until_the_ban_ends() -> None:
    s = shield(flood={"options": 1})
    s.check_request("192.0.2.1", "OPTIONS", None, T0)
    s.check_request("192.0.2.1", "OPTIONS", None, T0)
    drain(s)
    verdict = s.check_request("192.0.2.1", "REGISTER", None, T0 + 59.999)
    assert (verdict.action, verdict.reason, verdict.rule) == (Action.DROP, "banned", "ban: flood")
    events = drain(s)
    assert kinds(events) == [(EventKind.DROP, "banned")]
    assert events[0].detail == f"until {T0 + 60:g}"
    assert s.check_request("192.0.2.1", "REGISTER", None, T0 + 60).allowed
    assert kinds(drain(s)) == [(EventKind.UNBAN, "expired")]


def test_counters_start_afresh_after_a_ban() -> None:
    s = shield(flood={"options": 2})
    for _ in range(3):
        s.check_request("192.0.2.1", "OPTIONS", None, T0)
    for _ in range(2):
        assert s.check_request("192.0.2.1", "OPTIONS", None, T0 + 60).allowed


@pytest.mark.parametrize("source", ["10.1.2.3", "10.255.0.1", "2001:db8::5"])
def test_allow_listed_networks_are_never_blocked(source: str) -> None:
    nets = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))
    s = shield(flood={"options": 1}, allow=nets)
    for _ in range(100):
        assert s.check_request(source, "OPTIONS", "friendly-scanner", T0).allowed
    assert drain(s) == []
    assert s.bans(T0) == []


def test_trusted_peers_are_never_blocked() -> None:
    s = shield(flood={"invite": 1}, trusted_peers=("192.0.2.50",))
    for _ in range(10):
        assert s.check_request("192.0.2.50", "INVITE", "sipvicious", T0).allowed
    assert s.check_request("192.0.2.51", "INVITE", None, T0).allowed
    assert s.check_request("192.0.2.51", "INVITE", None, T0).action is Action.DROP


def test_address_spellings_are_one_address() -> None:
    s = shield(flood={"options": 1})
    s.check_request("2001:db8::1", "OPTIONS", None, T0)
    assert not s.check_request("[2001:0db8:0::1]", "OPTIONS", None, T0).allowed


def test_disabled_shield_allows_everything() -> None:
    s = shield(flood={"options": 1}, enabled=False)
    for _ in range(5):
        assert s.check_request("192.0.2.1", "OPTIONS", "sipvicious", T0).allowed
    assert drain(s) == []
