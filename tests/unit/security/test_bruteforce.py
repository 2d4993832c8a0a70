"""Brute force: failures per address ban it, failures per account lock the account."""

from __future__ import annotations

import ipaddress

from sipwarden.security import EventKind
from tests.unit.security.helpers import T0, drain, kinds, shield

BF = {
    "address_failures": 3,
    "address_window": 60.0,
    "address_ban_seconds": 600.0,
    "account_failures": 5,
    "account_window": 300.0,
    "lock_seconds": 120.0,
}


def test_address_is_banned_at_exactly_n_failures() -> None:
    s = shield(brute_force=BF)
    s.auth_failed("192.0.2.1", "alice@example.com", "wrong password", T0)
    s.auth_failed("192.0.2.1", "bob@example.com", "wrong password", T0 + 1)
    assert s.bans(T0 + 1) == []
    assert s.check_request("192.0.2.1", "REGISTER", None, T0 + 1).allowed
    s.auth_failed("192.0.2.1", "carol@example.com", "unknown user", T0 + 2)
    (ban,) = s.bans(T0 + 2)
    assert (ban.reason, ban.until) == ("bruteforce", T0 + 2 + 600)
    events = drain(s)
    assert kinds(events) == [(EventKind.BAN, "bruteforce")]
    assert events[0].rule == "bruteforce.address: 3 failures in 60 s"
    assert events[0].detail == "600 s, offence 1; unknown user"
    assert s.check_request("192.0.2.1", "REGISTER", None, T0 + 3).reason == "banned"


def test_failures_older_than_the_window_do_not_count() -> None:
    s = shield(brute_force=BF)
    s.auth_failed("192.0.2.1", "a@x", "r", T0)
    s.auth_failed("192.0.2.1", "a@x", "r", T0 + 30)
    s.auth_failed("192.0.2.1", "a@x", "r", T0 + 60)  # T0 just left the window
    assert s.bans(T0 + 60) == []
    s.auth_failed("192.0.2.1", "a@x", "r", T0 + 89.999)
    assert [ban.reason for ban in s.bans(T0 + 90)] == ["bruteforce"]


def test_success_resets_the_address_count() -> None:
    s = shield(brute_force=BF)
    s.auth_failed("192.0.2.1", "alice@x", "r", T0)
    s.auth_failed("192.0.2.1", "alice@x", "r", T0)
    s.auth_succeeded("192.0.2.1", "alice@x", T0 + 1)
    s.auth_failed("192.0.2.1", "alice@x", "r", T0 + 2)
    s.auth_failed("192.0.2.1", "alice@x", "r", T0 + 2)
    assert s.bans(T0 + 2) == []
    s.auth_failed("192.0.2.1", "alice@x", "r", T0 + 2)
    assert len(s.bans(T0 + 2)) == 1


def test_account_is_locked_at_exactly_m_failures_from_many_addresses() -> None:
    s = shield(brute_force=BF)
    for n in range(4):
        s.auth_failed(f"192.0.2.{n}", "alice@example.com", "wrong password", T0 + n)
    assert not s.account_locked("alice@example.com", T0 + 4)
    s.auth_failed("192.0.2.9", "alice@example.com", "wrong password", T0 + 4)
    assert s.account_locked("alice@example.com", T0 + 4)
    assert not s.account_locked("bob@example.com", T0 + 4)
    events = drain(s)
    assert kinds(events) == [(EventKind.LOCK, "bruteforce_account")]
    assert (events[0].account, events[0].source) == ("alice@example.com", "192.0.2.9")
    assert events[0].rule == "bruteforce.account: 5 failures in 300 s"
    assert s.bans(T0 + 4) == []  # no address reached 3


def test_lock_expires_with_an_unlock_event() -> None:
    s = shield(brute_force=BF)
    for n in range(5):
        s.auth_failed(f"192.0.2.{n}", "alice@x", "r", T0)
    drain(s)
    assert s.next_deadline() == T0 + 120
    assert s.account_locked("alice@x", T0 + 119.999)
    s.on_timeout(T0 + 120)
    assert not s.account_locked("alice@x", T0 + 120)
    events = drain(s)
    assert kinds(events) == [(EventKind.UNLOCK, "expired")]
    assert events[0].account == "alice@x"


def test_success_does_not_reset_the_account_count() -> None:
    s = shield(brute_force=BF)
    for n in range(4):
        s.auth_failed(f"192.0.2.{n}", "alice@x", "r", T0)
    s.auth_succeeded("198.51.100.1", "alice@x", T0)
    s.auth_failed("192.0.2.8", "alice@x", "r", T0)
    assert s.account_locked("alice@x", T0)


def test_allow_listed_addresses_are_not_banned_but_count_for_the_account() -> None:
    s = shield(brute_force=BF, allow=(ipaddress.ip_network("10.0.0.0/8"),))
    for _ in range(5):
        s.auth_failed("10.0.0.1", "alice@x", "r", T0)
    assert s.bans(T0) == []
    assert s.account_locked("alice@x", T0)


def test_admin_lock_and_unlock() -> None:
    s = shield()
    lock = s.lock("alice@x", 60, "stolen phone", T0, by="ops")
    assert s.locks(T0) == [lock]
    assert s.account_locked("alice@x", T0 + 59)
    assert s.unlock("alice@x", T0 + 1) == lock
    assert not s.account_locked("alice@x", T0 + 2)
    assert kinds(drain(s)) == [(EventKind.LOCK, "stolen phone"), (EventKind.UNLOCK, "lifted")]
