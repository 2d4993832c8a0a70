"""Three `sipwarden run` nodes sharing Redis (state) and PostgreSQL (accounts), end to end
(issue #10 item 4, docs/cluster.md):

- a user registered through node 1 is called through node 3 (SIPp; the call completes);
- a password-guessing attack spread over the three nodes, from one address, is banned on all
  three (no node alone sees enough failures: the count is shared in Redis);
- node 2 is killed (SIGKILL) while SIPp calls run through nodes 1 and 3: they keep completing,
  and the callee, registered through node 2, stays reachable;
- Redis (a server of the test's own, AOF with fsync always) is killed and restarted mid-run:
  during the outage REGISTER gets 503 with Retry-After, the nodes log the outage once, and
  every registration acknowledged with 200 before is still there afterwards.

Each node has its own data directory and port; they share the nonce key (docs/cluster.md), a
unique Redis key prefix and a PostgreSQL schema of the test's own.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.cluster.conftest import OwnRedis
from tests.integration.proxy.calls import ALICE, BOB, CAROL, DAVE, passed, registered_phone
from tests.integration.proxy.sippctl import (
    SIPP,
    Account,
    Proxy,
    Sipp,
    call,
    call_args,
    command,
    register,
    wait_listening,
)
from tests.integration.security import sipclient
from tests.integration.security.sipclient import SipClient
from tests.integration.server.process import Running, free_port, running, sipwarden

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(SIPP is None, reason="SIPp is not installed (scripts/test installs it)"),
]


@dataclass
class Cluster:
    nodes: list[Running]
    ports: list[int]

    def proxy(self, number: int, transport: str = "u1") -> Proxy:
        """Where SIPp sends to reach node `number` (1-based)."""
        return Proxy("127.0.0.1", self.ports[number - 1], transport)

    def logs(self, number: int) -> str:
        return "".join(self.nodes[number - 1].log)


def add_users(storage_url: str, *accounts: Account) -> None:
    """`sipwarden users add ... --storage postgresql://...`: every node sees them at once."""
    for account in accounts:
        added = sipwarden(
            "users",
            "add",
            f"{account.user}@{account.domain}",
            "--password",
            account.password,
            "--storage",
            storage_url,
        )
        assert added.returncode == 0, added.stderr


@contextmanager
def cluster(
    tmp_path: Path,
    state_url: str,
    storage_url: str,
    prefix: str,
    security: str = "",
    count: int = 3,
) -> Iterator[Cluster]:
    """`count` nodes on UDP and TCP 127.0.0.1:<free port>, one data directory each."""
    config = tmp_path / "sipwarden.toml"
    config.write_text(f'[state]\nprefix = "{prefix}"\n\n[security]\n{security}')
    key = os.urandom(32)  # one nonce key for all: a nonce from one node verifies on another
    nodes, ports = [], []
    with ExitStack() as stack:
        for number in range(1, count + 1):
            data = tmp_path / f"node{number}"
            data.mkdir()
            (data / "nonce.key").write_bytes(key)
            (data / "nonce.key").chmod(0o600)
            port = free_port()
            args = ["--data-dir", str(data), "--config", str(config)]
            args += ["--state", state_url, "--storage", storage_url]
            args += ["--listen", f"udp:127.0.0.1:{port}", "--listen", f"tcp:127.0.0.1:{port}"]
            nodes.append(stack.enter_context(running(args, cwd=tmp_path)))
            ports.append(port)
        yield Cluster(nodes, ports)


def wait_for(condition: object, timeout: float, what: str, step: float = 0.2) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(step)


# ----- a registration through node 1, a call through node 3 ---------------------------------


def test_registered_through_node1_called_through_node3(
    tmp_path: Path, redis_url: str, storage_url: str, prefix: str
) -> None:
    add_users(storage_url, ALICE, BOB)
    with (
        cluster(tmp_path, redis_url, storage_url, prefix) as nodes,
        registered_phone(tmp_path, nodes.proxy(1), BOB, "call_uas.xml", "bob") as bob,
    ):
        caller = call(tmp_path, "alice", "call_uac.xml", nodes.proxy(3), ALICE, BOB.user)
        passed(caller, bob.wait())


# ----- password guessing spread over the nodes ----------------------------------------------

GUESSES = 6  # [security] auth_failures: two wrong passwords per node, six in the cluster


def test_password_guessing_spread_over_three_nodes_is_banned_on_all(
    tmp_path: Path, redis_url: str, storage_url: str, prefix: str
) -> None:
    add_users(storage_url, ALICE)
    security = f"auth_failures = {GUESSES}\nauth_window = 60\nflood_options = 1000\n"
    with cluster(tmp_path, redis_url, storage_url, prefix, security) as nodes, ExitStack() as stack:
        attacker = [SipClient("127.0.0.41", port, timeout=0.5) for port in nodes.ports]
        bystander = [SipClient("127.0.0.42", port, timeout=1.0) for port in nodes.ports]
        for client in (*attacker, *bystander):
            stack.callback(client.close)
        for guess in range(GUESSES):  # round robin: node 1, 2, 3, 1, 2, 3
            answer = sipclient.register(attacker[guess % 3], "alice", f"guess-{guess}")
            assert answer is not None and answer.status in (401, 403), answer
        for number in (1, 2, 3):  # the node that counted the sixth bans, the others follow
            wait_for(lambda n=number: banned(nodes, n), 5, f"node {number} bans")  # type: ignore[misc]
        for number, client in enumerate(attacker, start=1):  # every worker of every node
            wait_for(lambda c=client: c.options() is None, 5, f"node {number} drops")  # type: ignore[misc]
        for number, client in enumerate(bystander, start=1):
            assert client.options() is not None, f"node {number} dropped a bystander"


def test_a_call_burst_spread_over_three_nodes_is_refused_by_all(
    tmp_path: Path, redis_url: str, storage_url: str, prefix: str
) -> None:
    """The per-account call-attempt limit counts across the cluster (docs/cluster.md): with 3
    attempts a minute allowed, attempts round robin over the nodes are refused from the 4th
    on, whichever node takes them (each node alone has seen at most 2)."""
    add_users(storage_url, ALICE)
    security = "max_call_attempts_per_minute = 3\nflood_invite = 1000\n"
    with cluster(tmp_path, redis_url, storage_url, prefix, security) as nodes, ExitStack() as stack:
        phones = [SipClient("127.0.0.43", port, timeout=2.0) for port in nodes.ports]
        for phone in phones:
            stack.callback(phone.close)
        statuses = []
        for attempt in range(6):  # node 1, 2, 3, 1, 2, 3; bob does not exist: 404 when allowed
            answer = sipclient.invite(phones[attempt % 3], "alice", ALICE.password, "bob")
            assert answer is not None
            statuses.append((answer.status, answer.reason))
        assert statuses[:3] == [(404, "Not Found")] * 3
        assert statuses[3:] == [(403, "Call Rate Exceeded")] * 3
        assert any("reason=fraud_rate" in line for node in nodes.nodes for line in node.log)


def banned(nodes: Cluster, number: int) -> bool:
    """Node `number` logged the brute-force ban of the attacker (no flood: see the config)."""
    lines = nodes.nodes[number - 1].log
    return any("ban reason=bruteforce" in x and "source=127.0.0.41" in x for x in lines)


# ----- a node killed under load ---------------------------------------------------------------

ROUNDS = 3  # of two concurrent calls each, one through node 1 and one through node 3


def test_calls_through_nodes_1_and_3_complete_while_node2_is_killed(
    tmp_path: Path, redis_url: str, storage_url: str, prefix: str
) -> None:
    add_users(storage_url, ALICE, BOB)
    with cluster(tmp_path, redis_url, storage_url, prefix) as nodes:
        port = free_port()  # bob registers through node 2, which then dies
        passed(register(tmp_path, nodes.proxy(2), BOB, port, name="bob-register"))
        argv = command(tmp_path, "bob", "call_uas.xml", nodes.proxy(2), port)
        argv[argv.index("-m") + 1] = str(2 * ROUNDS)  # answer every call of the test
        argv[argv.index("-timeout") + 1] = "50s"
        bob = Sipp(tmp_path, "bob", argv)
        try:
            wait_listening(port, "u1", bob)
            for round_ in range(ROUNDS):
                callers = [
                    call_in_background(tmp_path, nodes.proxy(n), f"alice-{round_}-node{n}")
                    for n in (1, 3)
                ]
                if round_ == 1:  # mid-call: the INVITEs are on their way
                    time.sleep(0.1)
                    kill_node(nodes.nodes[1])
                passed(*(caller.wait() for caller in callers))
            passed(bob.wait())
        finally:
            bob.kill()


def kill_node(node: Running) -> None:
    """SIGKILL to the node's workers and its supervisor at once: no clean shutdown at all."""
    pid = node.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        with suppress(ProcessLookupError):
            os.kill(int(child), signal.SIGKILL)
    node.process.kill()
    node.process.wait(timeout=5)


def call_in_background(workdir: Path, proxy: Proxy, name: str) -> Sipp:
    """alice calls bob through `proxy`, in the background."""
    own = workdir / name  # its own credentials file: callers run side by side
    own.mkdir()
    extra = call_args(own, proxy, ALICE, BOB.user)
    return Sipp(own, name, command(own, name, "call_uac.xml", proxy, free_port(), *extra))


# ----- Redis restarted mid-run ----------------------------------------------------------------

PHONES = {ALICE: "127.0.0.51", BOB: "127.0.0.52", CAROL: "127.0.0.53", DAVE: "127.0.0.54"}


def test_redis_restart_loses_no_acknowledged_registration(
    tmp_path: Path, own_redis: OwnRedis, storage_url: str
) -> None:
    add_users(storage_url, *PHONES)
    with cluster(tmp_path, own_redis.url, storage_url, "restart:", count=2) as nodes:
        with ExitStack() as stack:
            phones = {}
            for number, (account, source) in enumerate(PHONES.items()):
                phone = SipClient(source, nodes.ports[number % 2], timeout=3.0)
                stack.callback(phone.close)
                answer = sipclient.register(phone, account.user, account.password)
                assert answer is not None and answer.status == 200, answer
                phones[account] = phone
            own_redis.kill()  # right after the last 200: only an fsynced AOF keeps them
            for number in (1, 2):
                wait_for(
                    lambda n=number: "state store unavailable" in nodes.logs(n),  # type: ignore[misc]
                    5,
                    f"node {number} logs the outage",
                )
            late = SipClient("127.0.0.55", nodes.ports[0], timeout=10.0)
            stack.callback(late.close)
            refused = sipclient.register(late, ALICE.user, ALICE.password)
            assert refused is not None and refused.status == 503, refused
            assert refused.header("Retry-After") == "5"
            calling = sipclient.invite(late, ALICE.user, ALICE.password, BOB.user)
            assert calling is not None and calling.status == 503, calling  # needs the location
            assert calling.header("Retry-After") == "5"
            assert in_dialog_routed(nodes.ports[0]), "an in-dialog BYE was not routed"
            time.sleep(1.5)  # the outage lasts: logged once, not every second
            own_redis.start()
            for number in (1, 2):
                wait_for(
                    lambda n=number: "state store back" in nodes.logs(n),  # type: ignore[misc]
                    10,
                    f"node {number} logs the recovery",
                )
            for account, source in PHONES.items():  # asked through the other node
                other = SipClient("127.0.0.56", nodes.ports[1], timeout=3.0)
                stack.callback(other.close)
                listed = sipclient.register(other, account.user, account.password)
                assert listed is not None and listed.status == 200, listed
                contacts = " ".join(listed.values("Contact"))
                assert f"@{source}:" in contacts, f"{account.user} lost: {contacts}"
        for number in (1, 2):
            log = nodes.logs(number)
            outages = [line.split()[3] for line in log.splitlines() if "store unavailable" in line]
            assert outages and len(outages) == len(set(outages)), log  # once per worker
            assert "Traceback" not in log, log


def in_dialog_routed(port: int) -> bool:
    """A BYE with a To tag (in a dialog: no lookup, RFC 3261 §16.12) sent through the node at
    `port` reaches its Request-URI, a socket on 127.0.0.57."""
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer,
        closing(SipClient("127.0.0.58", port)) as caller,
    ):
        peer.bind(("127.0.0.57", 0))
        peer.settimeout(3.0)
        target = f"sip:bob@127.0.0.57:{peer.getsockname()[1]}"
        bye = caller.request("BYE", target, from_user="alice", call_id="dialog-1@127.0.0.58")
        bye = bye.replace(f"To: <{target}>".encode(), f"To: <{target}>;tag=callee-1".encode(), 1)
        caller.sock.sendto(bye, ("127.0.0.1", port))
        try:
            forwarded = peer.recv(65535)
        except TimeoutError:
            return False
        return forwarded.startswith(b"BYE " + target.encode())
