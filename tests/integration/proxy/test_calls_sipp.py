"""Calls through `sipwarden run`, end to end with SIPp phones over UDP and TCP (RFC 3261 §16):
two registered users call each other through the proxy (Record-Route, 407 digest), a call
forks to two devices of one user and the one left ringing is cancelled, the caller cancels
before an answer, a busy callee is forwarded, Max-Forwards 0 gets 483, an offline user 480
and an unknown one 404, and a call whose route set names the proxy twice still connects.

Each check is a plain function of (workdir, proxy) so it can run against any proxy holding
the accounts in ACCOUNTS in domain 127.0.0.1: check_kamailio.py runs them against Kamailio.
Every phone is a SIPp process on its own free port, registered from that port first.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration.proxy.calls import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    UNKNOWN,
    passed,
    registered_phone,
    serve,
)
from tests.integration.proxy.sippctl import SIPP, Proxy, call, register, unregister
from tests.integration.server.process import free_port, sipwarden

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]


def two_users_call(workdir: Path, proxy: Proxy) -> None:
    """alice calls bob: INVITE (407, digest), 180, 200, ACK, BYE through the proxy; both
    phones saw the whole dialog."""
    with registered_phone(workdir, proxy, BOB, "call_uas.xml", "bob") as bob:
        caller = call(workdir, "alice", "call_uac.xml", proxy, ALICE, BOB.user)
        passed(caller, bob.wait())


def forked_call(workdir: Path, proxy: Proxy) -> None:
    """bob has two devices; both ring (parallel forking, §16.6), the second answers and the
    proxy cancels the first (§16.7 step 10): 200 to the CANCEL, 487, ACK."""
    with ExitStack() as stack:
        first = stack.enter_context(
            registered_phone(workdir, proxy, BOB, "call_uas_cancelled.xml", "bob-desk")
        )
        second = stack.enter_context(
            registered_phone(workdir, proxy, BOB, "call_uas.xml", "bob-mobile")
        )
        caller = call(workdir, "alice", "call_uac.xml", proxy, ALICE, BOB.user)
        passed(caller, second.wait(), first.wait())


def cancelled_call(workdir: Path, proxy: Proxy) -> None:
    """alice hangs up while bob rings: CANCEL, 200, 487 to alice and to bob's phone, ACKs."""
    with registered_phone(workdir, proxy, BOB, "call_uas_cancelled.xml", "bob") as bob:
        caller = call(workdir, "alice", "call_uac_cancel.xml", proxy, ALICE, BOB.user)
        passed(caller, bob.wait())


def busy_forwarded_call(workdir: Path, proxy: Proxy) -> None:
    """bob is busy (486) and forwards on busy to carol, who answers: alice's call connects
    to carol. The proxy must have bob's forward-on-busy set to sip:carol@127.0.0.1."""
    with ExitStack() as stack:
        bob = stack.enter_context(registered_phone(workdir, proxy, BOB, "call_uas_busy.xml", "bob"))
        carol = stack.enter_context(
            registered_phone(workdir, proxy, CAROL, "call_uas.xml", "carol")
        )
        caller = call(workdir, "alice", "call_uac.xml", proxy, ALICE, BOB.user)
        passed(caller, bob.wait(), carol.wait())


def max_forwards_zero(workdir: Path, proxy: Proxy) -> None:
    """An INVITE with Max-Forwards: 0 is answered 483 (§16.3 step 3), before any challenge."""
    passed(call(workdir, "alice", "call_uac_483.xml", proxy, ALICE, BOB.user))


def offline_and_unknown(workdir: Path, proxy: Proxy) -> None:
    """dave registered, then unregistered: 480; a user without an account: 404."""
    port = free_port()
    passed(register(workdir, proxy, DAVE, port), unregister(workdir, proxy, DAVE, port))
    passed(call(workdir, "alice-to-dave", "call_uac_480.xml", proxy, ALICE, DAVE.user))
    passed(call(workdir, "alice-to-mallory", "call_uac_404.xml", proxy, ALICE, UNKNOWN))


def spiral(workdir: Path, proxy: Proxy) -> None:
    """alice's INVITE carries two Routes naming the proxy (§16.4): whether the proxy sends it
    to itself and sees it again with its own Via on top (a spiral, §16.3 step 4: Kamailio
    does, bob sees two of its Vias) or takes both Routes as its own in one pass, the call
    must connect, not end in 482 Loop Detected or a second challenge."""
    with registered_phone(workdir, proxy, BOB, "call_uas.xml", "bob") as bob:
        caller = call(workdir, "alice", "call_uac_spiral.xml", proxy, ALICE, BOB.user)
        passed(caller, bob.wait())


# ------------------------------------------------------------------ sipwarden ---


def test_two_registered_users_call(tmp_path: Path, proxy: Proxy) -> None:
    two_users_call(tmp_path, proxy)


def test_call_forks_to_both_devices_and_cancels_the_other(tmp_path: Path, proxy: Proxy) -> None:
    forked_call(tmp_path, proxy)


def test_caller_cancels_before_answer(tmp_path: Path, proxy: Proxy) -> None:
    cancelled_call(tmp_path, proxy)


def test_busy_callee_forwards_on_busy(tmp_path: Path, data_dir: Path, transport: str) -> None:
    forward = sipwarden(
        "users",
        "forward",
        "bob@127.0.0.1",
        "--busy",
        "sip:carol@127.0.0.1",
        "--data-dir",
        str(data_dir),
    )
    assert forward.returncode == 0, forward.stderr
    with serve(data_dir, tmp_path, transport) as proxy:
        busy_forwarded_call(tmp_path, proxy)


def test_max_forwards_zero_is_483(tmp_path: Path, proxy: Proxy) -> None:
    max_forwards_zero(tmp_path, proxy)


def test_offline_user_is_480_and_unknown_user_404(tmp_path: Path, proxy: Proxy) -> None:
    offline_and_unknown(tmp_path, proxy)


def test_spiral_through_the_proxy_connects(tmp_path: Path, proxy: Proxy) -> None:
    spiral(tmp_path, proxy)
