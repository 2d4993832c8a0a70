"""A second SIP stack against `sipwarden run`: baresip, a real softphone (Debian's
`baresip`), registers with a password (401, digest) and calls a registered SIPp phone
through the proxy (407, digest, Record-Route, ACK, BYE), then the other way round: a SIPp
caller reaches baresip through its registration. Over UDP and TCP.

baresip 1.0 (Debian 12) gives up on a 401 that also offers SHA-256 ("Register: Function not
implemented"): libre answers only MD5 and fails on any other challenge instead of skipping
it (RFC 8760 §2.4 says a client should use the first it supports). So this server offers
MD5 only, `[auth] algorithms = ["MD5"]`, as docs/interop.md tells users of such phones.
The checks are plain functions of (workdir, proxy) so they also run against Kamailio.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.proxy.baresip import BARESIP, output, phone_ports, softphone
from tests.integration.proxy.calls import ALICE, BOB, CAROL, passed, registered_phone, serve
from tests.integration.proxy.sippctl import SIPP, Proxy, call

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(BARESIP is None, reason="baresip is not installed (Debian: baresip)"),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]


def baresip_calls_sipp(workdir: Path, proxy: Proxy) -> None:
    """alice on baresip calls bob's SIPp phone, talks half a second, hangs up."""
    phone_dir = workdir / "baresip-alice"
    with registered_phone(workdir, proxy, BOB, "call_uas.xml", "bob") as bob:
        with softphone(phone_dir, ALICE, proxy, *phone_ports()) as alice:
            try:
                alice.wait_registered()
                alice.command("dial", f"sip:{BOB.user}@{BOB.domain}")
                alice.wait_event("CALL_ESTABLISHED")
                time.sleep(0.5)
                alice.command("hangup")
                alice.wait_event("CALL_CLOSED")
            except AssertionError as error:
                raise AssertionError(f"{error}\n{output(phone_dir)}") from None
        passed(bob.wait())


def sipp_calls_baresip(workdir: Path, proxy: Proxy) -> None:
    """alice's SIPp phone calls carol on baresip (auto answer), then hangs up (BYE)."""
    phone_dir = workdir / "baresip-carol"
    with softphone(phone_dir, CAROL, proxy, *phone_ports()) as carol:
        try:
            carol.wait_registered()
            caller = call(workdir, "alice", "call_uac.xml", proxy, ALICE, CAROL.user)
            carol.wait_event("CALL_ESTABLISHED")
            carol.wait_event("CALL_CLOSED")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{output(phone_dir)}") from None
        passed(caller)


@pytest.fixture
def md5_proxy(tmp_path: Path, data_dir: Path, transport: str) -> Iterator[Proxy]:
    config = tmp_path / "sipwarden.toml"
    config.write_text('[auth]\nalgorithms = ["MD5"]\n')
    with serve(data_dir, tmp_path, transport, "--config", str(config)) as proxy:
        yield proxy


def test_baresip_calls_a_sipp_phone(tmp_path: Path, md5_proxy: Proxy) -> None:
    baresip_calls_sipp(tmp_path, md5_proxy)


def test_sipp_calls_baresip(tmp_path: Path, md5_proxy: Proxy) -> None:
    sipp_calls_baresip(tmp_path, md5_proxy)
