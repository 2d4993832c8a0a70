"""Scanner detection: User-Agent substrings and behaviour (unknown users, OPTIONS sweeps)."""

from __future__ import annotations

import pytest

from sipwarden.security import Action, EventKind
from sipwarden.security.defaults import DEFAULT_SCANNER_USER_AGENTS
from tests.unit.security.helpers import T0, drain, kinds, shield


@pytest.mark.parametrize(
    "agent",
    [
        "friendly-scanner",
        "FRIENDLY-SCANNER 1.0",
        "sipvicious svmap",
        "sipcli/v1.8",
        "VaxSIPUserAgent/3.1",
        "pplsip",
        "Sundayddr Scanner",
        "sipptk",
        "sip-scan",
        "iWar",
        "SIVuS",
        "smap 0.6",
    ],
)
def test_scanner_user_agents_are_dropped_and_banned(agent: str) -> None:
    s = shield()
    verdict = s.check_request("192.0.2.1", "OPTIONS", agent, T0)
    assert (verdict.action, verdict.reason) == (Action.DROP, "scanner_user_agent")
    events = drain(s)
    assert kinds(events) == [
        (EventKind.BAN, "scanner_user_agent"),
        (EventKind.DROP, "scanner_user_agent"),
    ]
    assert events[1].detail == agent
    assert s.check_request("192.0.2.1", "OPTIONS", "Linphone", T0 + 1).reason == "banned"


@pytest.mark.parametrize("agent", ["Linphone/5.0", "Zoiper rv2.10", "Grandstream GXP2170", ""])
def test_ordinary_user_agents_pass(agent: str) -> None:
    assert shield().check_request("192.0.2.1", "REGISTER", agent, T0).allowed


def test_the_list_is_data_and_extendable() -> None:
    agents = (*DEFAULT_SCANNER_USER_AGENTS, "EvilDialer")
    s = shield(scanner={"user_agents": agents})
    assert s.check_request("192.0.2.1", "INVITE", "my-evildialer/2", T0).reason == (
        "scanner_user_agent"
    )
    assert drain(s)[0].rule == "scanner.user_agents: 'EvilDialer'"


def test_unknown_users_ban_at_exactly_k_distinct_users() -> None:
    s = shield(scanner={"unknown_users": 3, "unknown_users_window": 60.0})
    s.unknown_user("192.0.2.1", "100", T0)
    s.unknown_user("192.0.2.1", "100", T0 + 1)  # the same user twice counts once
    s.unknown_user("192.0.2.1", "101", T0 + 2)
    assert s.bans(T0 + 2) == []
    s.unknown_user("192.0.2.1", "102", T0 + 3)
    (ban,) = s.bans(T0 + 3)
    assert ban.reason == "scanner_unknown_users"
    events = drain(s)
    assert events[0].rule == "scanner.unknown_users: 3 in 60 s"
    assert events[0].detail == "60 s, offence 1; 102"


def test_unknown_users_outside_the_window_do_not_count() -> None:
    s = shield(scanner={"unknown_users": 3, "unknown_users_window": 60.0})
    s.unknown_user("192.0.2.1", "100", T0)
    s.unknown_user("192.0.2.1", "101", T0 + 30)
    s.unknown_user("192.0.2.1", "102", T0 + 60)
    assert s.bans(T0 + 60) == []
    s.unknown_user("192.0.2.1", "103", T0 + 61)
    assert len(s.bans(T0 + 61)) == 1


def test_options_sweep_bans_at_exactly_j_distinct_targets() -> None:
    s = shield(scanner={"options_targets": 3, "options_window": 60.0})
    for target in ("sip:100@h", "sip:100@h", "sip:101@h"):
        assert s.check_request("192.0.2.1", "OPTIONS", None, T0, target=target).allowed
    verdict = s.check_request("192.0.2.1", "OPTIONS", None, T0, target="sip:h:5062")
    assert (verdict.action, verdict.reason) == (Action.DROP, "scanner_options_sweep")
    assert verdict.rule == "scanner.options_sweep: 3 targets in 60 s"


def test_options_to_one_target_are_no_sweep() -> None:
    s = shield(scanner={"options_targets": 2})
    for _ in range(20):
        assert s.check_request("192.0.2.1", "OPTIONS", None, T0, target="sip:h").allowed
    for target in ("sip:a@h", "sip:b@h", "sip:c@h"):
        assert s.check_request("192.0.2.1", "INVITE", None, T0, target=target).allowed
