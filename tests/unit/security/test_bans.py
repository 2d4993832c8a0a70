"""Bans: escalation on repeat offences, expiry with an unban event, admin bans and lifts,
restore after a restart, admin changes from the store, and the cap on bans held."""

from __future__ import annotations

import pytest

from sipwarden.security import Ban, EventKind, Shield
from sipwarden.security.events import BanChange
from sipwarden.security.shield import ShieldError
from tests.unit.security.helpers import T0, drain, kinds, shield


def flood(s: Shield, ip: str, now: float) -> None:
    """Two OPTIONS with a limit of 1: the second bans."""
    s.check_request(ip, "OPTIONS", None, now)
    s.check_request(ip, "OPTIONS", None, now)


def test_bans_double_on_repeat_offences_up_to_the_maximum() -> None:
    s = shield(flood={"options": 1}, bans={"seconds": 60.0, "growth": 2.0, "max_seconds": 300.0})
    now, durations = T0, []
    for _ in range(5):
        flood(s, "192.0.2.1", now)
        (ban,) = s.bans(now)
        durations.append(ban.until - now)  # type: ignore[operator]
        assert ban.offences == len(durations)
        now = ban.until  # type: ignore[assignment]
    assert durations == [60.0, 120.0, 240.0, 300.0, 300.0]


def test_offences_are_forgotten_after_the_offence_memory() -> None:
    s = shield(flood={"options": 1}, bans={"offence_memory": 1000.0})
    flood(s, "192.0.2.1", T0)
    flood(s, "192.0.2.1", T0 + 999.999)
    assert s.bans(T0 + 999.999)[0].offences == 2
    s.lift("192.0.2.1", T0 + 1000)
    flood(s, "192.0.2.1", T0 + 1000)
    assert s.bans(T0 + 1000)[0].offences == 1  # lift forgot them
    flood(s, "192.0.2.1", T0 + 3000)
    flood(s, "192.0.2.1", T0 + 3000 + 120)
    assert s.bans(T0 + 3120)[0].offences == 2
    flood(s, "192.0.2.1", T0 + 3120 + 120 + 1000)
    assert s.bans(T0 + 4240)[0].offences == 1


def test_next_deadline_and_on_timeout_emit_unban() -> None:
    s = shield(flood={"options": 1})
    assert s.next_deadline() is None
    flood(s, "192.0.2.1", T0)
    flood(s, "192.0.2.2", T0 + 10)
    drain(s)
    assert s.next_deadline() == T0 + 60
    s.on_timeout(T0 + 59.999)
    assert drain(s) == []
    s.on_timeout(T0 + 60)
    events = drain(s)
    assert kinds(events) == [(EventKind.UNBAN, "expired")]
    assert events[0].source == "192.0.2.1"
    assert events[0].rule == "ban: flood"
    assert s.next_deadline() == T0 + 70
    assert [ban.ip for ban in s.bans(T0 + 60)] == ["192.0.2.2"]


def test_admin_ban_and_lift() -> None:
    s = shield()
    ban = s.ban("192.0.2.9", 3600, "abuse report", T0, by="alice")
    assert ban == Ban("192.0.2.9", T0, T0 + 3600, "abuse report", 0, "alice")
    assert s.check_request("192.0.2.9", "INVITE", None, T0 + 1).reason == "banned"
    assert s.lift("192.0.2.9", T0 + 2, by="bob") == ban
    assert s.check_request("192.0.2.9", "INVITE", None, T0 + 3).allowed
    events = drain(s)
    assert kinds(events) == [
        (EventKind.BAN, "abuse report"),
        (EventKind.DROP, "banned"),
        (EventKind.UNBAN, "lifted"),
    ]
    assert events[0].rule == "bans.add by alice"
    assert events[2].rule == "bans.remove by bob"
    assert s.lift("192.0.2.9", T0 + 4) is None
    assert drain(s) == []


def test_permanent_ban_has_no_deadline() -> None:
    s = shield()
    s.ban("192.0.2.9", None, "", T0)
    assert s.next_deadline() is None
    assert s.bans(T0 + 10**9)[0].until is None
    assert s.bans(T0)[0].reason == "admin"


@pytest.mark.parametrize(("ip", "message"), [
    ("not-an-ip", "'not-an-ip' is not an IP address"),
    ("10.0.0.1", "10.0.0.1 is allow-listed or a trusted peer: it cannot be banned"),
])  # fmt: skip
def test_admin_ban_refuses_invalid_and_exempt_addresses(ip: str, message: str) -> None:
    import ipaddress

    s = shield(allow=(ipaddress.ip_network("10.0.0.0/8"),))
    with pytest.raises(ShieldError) as caught:
        s.ban(ip, 60, "x", T0)
    assert str(caught.value) == message


def test_admin_ban_needs_a_positive_duration() -> None:
    with pytest.raises(ShieldError):
        shield().ban("192.0.2.1", 0, "x", T0)


def test_restore_is_silent_and_skips_expired_bans() -> None:
    s = shield(flood={"options": 1})
    stored = [
        Ban("192.0.2.1", T0 - 100, T0 + 100, "flood", 3),
        Ban("192.0.2.2", T0 - 100, T0, "flood", 1),
        Ban("192.0.2.3", T0 - 100, None, "admin", 0, "cli"),
    ]
    assert s.restore(stored, T0) == 2
    assert drain(s) == []
    assert [ban.ip for ban in s.bans(T0)] == ["192.0.2.1", "192.0.2.3"]
    assert s.next_deadline() == T0 + 100
    s.on_timeout(T0 + 100)
    flood(s, "192.0.2.1", T0 + 100)
    assert s.bans(T0 + 100)[-1].offences == 4  # the restored offences count


def test_apply_change_bans_and_lifts_with_events() -> None:
    s = shield()
    ban = Ban("192.0.2.4", T0 - 10, T0 + 50, "manual", 0, "cli")
    assert s.apply_change(BanChange(1, T0 - 10, "192.0.2.4", ban, "cli"), T0)
    (held,) = s.bans(T0)
    assert (held.until, held.by, held.reason) == (T0 + 50, "cli", "manual")
    assert s.apply_change(BanChange(2, T0, "192.0.2.4", None, "cli"), T0 + 1)
    assert kinds(drain(s)) == [(EventKind.BAN, "manual"), (EventKind.UNBAN, "lifted")]
    assert not s.apply_change(BanChange(3, T0, "192.0.2.4", None, "cli"), T0 + 2)
    old = Ban("192.0.2.5", T0 - 100, T0 - 1, "manual", 0, "cli")
    assert not s.apply_change(BanChange(4, T0, "192.0.2.5", old, "cli"), T0)
    assert s.bans(T0) == []


def test_ban_cap_evicts_the_ban_expiring_first_with_an_unban_event() -> None:
    s = shield(max_bans=3)
    s.ban("192.0.2.1", 300, "a", T0)
    s.ban("192.0.2.2", 100, "b", T0)
    s.ban("192.0.2.3", None, "c", T0)
    drain(s)
    s.ban("192.0.2.4", 50, "d", T0)
    events = drain(s)
    assert kinds(events) == [(EventKind.BAN, "d"), (EventKind.UNBAN, "evicted")]
    assert events[1].source == "192.0.2.2"
    assert sorted(ban.ip for ban in s.bans(T0)) == ["192.0.2.1", "192.0.2.3", "192.0.2.4"]


def test_ban_cap_holds_under_a_flood_of_sources() -> None:
    s = shield(flood={"options": 1}, max_bans=100)
    for n in range(1000):
        flood(s, f"10.{n // 256}.{n % 256}.1", T0)
    assert len(s.bans(T0)) == 100
    assert s.counts["unban.evicted"] == 900


def test_offence_memory_ends_exactly_after_offence_memory_seconds() -> None:
    s = shield(flood={"options": 1}, bans={"offence_memory": 1000.0})
    flood(s, "192.0.2.1", T0)
    flood(s, "192.0.2.1", T0 + 1000)
    assert s.bans(T0 + 1000)[0].offences == 1


def test_ban_of_lock_of_and_snapshot_for_the_server() -> None:
    s = shield(flood={"options": 1}, brute_force={"account_failures": 1})
    flood(s, "192.0.2.1", T0)
    s.auth_failed("192.0.2.2", "alice@x", "wrong password", T0)
    ban = s.ban_of("192.0.2.1", T0)
    assert ban is not None and (ban.reason, ban.until) == ("flood", T0 + 60)
    lock = s.lock_of("alice@x", T0)
    assert lock is not None and lock.until == T0 + 300
    assert s.ban_of("192.0.2.1", T0 + 60) is None
    snapshot = s.snapshot()
    assert snapshot["ban.flood"] == 1 and snapshot["drop.flood"] == 1
    assert snapshot["lock.bruteforce_account"] == 1 and snapshot["unban.expired"] == 1
    assert (snapshot["bans"], snapshot["locks"], snapshot["events_lost"]) == (0, 1, 0)
    assert snapshot["tracked_addresses"] == 1  # .2 (the banned .1 was forgotten at its ban)
