"""baresip (https://github.com/baresip/baresip, Debian's `baresip`) as a second SIP stack in
end-to-end tests: a headless softphone registered to the proxy with a password, driven over
its ctrl_tcp module (netstring-framed JSON: commands in, responses and events out).

No audio device: the source is the `aufile` module reading a generated 8 kHz WAV file (the
`ausine` generator works at 48 kHz only, so a PCMU call fails with "Operation not
supported"), and the player `aufile` writing one, both in the phone's own directory.
baresip also binds TLS on the SIP port + 1.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.integration.proxy.sippctl import Account, Proxy

BARESIP = shutil.which("baresip")
MODULES = "/usr/lib/baresip/modules"
TRANSPORTS = {"u1": "udp", "t1": "tcp"}


def write_config(
    directory: Path, account: Account, proxy: Proxy, sip_port: int, ctrl_port: int
) -> None:
    """config, accounts and contacts for `baresip -f directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    transport = TRANSPORTS[proxy.transport]
    config = {
        "poll_method": "epoll",
        "net_interface": "127.0.0.1",  # else it picks the default route's address
        "sip_listen": f"127.0.0.1:{sip_port}",
        "call_local_timeout": "30",
        "audio_source": f"aufile,{tone(directory / 'tone.wav')}",
        "audio_player": f"aufile,{directory / 'played.wav'}",
        "audio_alert": f"aufile,{directory / 'alert.wav'}",
        "module_path": MODULES,
        "ctrl_tcp_listen": f"127.0.0.1:{ctrl_port}",
    }
    lines = [f"{key}\t{value}" for key, value in config.items()]
    for module in ("g711.so", "aufile.so", "ctrl_tcp.so"):
        lines.append(f"module\t{module}")
    lines += ["module_tmp\taccount.so", "module_app\tmenu.so"]
    (directory / "config").write_text("\n".join(lines) + "\n")
    outbound = f"sip:{proxy.address};transport={transport}"
    (directory / "accounts").write_text(
        f"<sip:{account.user}@{account.domain};transport={transport}>"
        f';auth_pass={account.password};outbound="{outbound}";regint=600;answermode=auto\n'
    )
    (directory / "contacts").write_text("")


def tone(path: Path, seconds: int = 20) -> Path:
    """A 440 Hz tone, 8 kHz 16-bit mono: what the phone 'says' (PCMU needs 8 kHz)."""
    rate = 8000
    samples = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate * seconds))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


class Softphone:
    """A running baresip and its ctrl_tcp connection."""

    def __init__(self, process: subprocess.Popen[bytes], control: socket.socket) -> None:
        self.process, self._control = process, control
        self._buffer = b""
        self._token = 0
        self.events: list[dict[str, Any]] = []

    def command(self, command: str, params: str = "", timeout: float = 10.0) -> dict[str, Any]:
        """Send a menu command (dial, hangup, ...) and return its response."""
        self._token += 1
        token = str(self._token)
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._control.sendall(b"%d:%s," % (len(body), body))
        return self._next(lambda m: m.get("response") is True and m.get("token") == token, timeout)

    def wait_registered(self, timeout: float = 15.0) -> None:
        """Until `reginfo` shows the account registered (200 from the registrar). Polled: the
        REGISTER_OK event may come before the control connection exists."""
        deadline = time.monotonic() + timeout
        while True:
            info = str(self.command("reginfo").get("data", ""))
            if "OK" in info:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"baresip did not register: {info!r}")
            time.sleep(0.2)

    def wait_event(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        """The first event of type `kind` (REGISTER_OK, CALL_ESTABLISHED, ...) not yet seen."""
        for event in self.events:
            if event.get("type") == kind and not event.get("_seen"):
                event["_seen"] = True
                return event
        event = self._next(lambda m: m.get("event") is True and m.get("type") == kind, timeout)
        event["_seen"] = True
        return event

    def _next(self, wanted: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("event") is True:
                self.events.append(message)
            if wanted(message):
                return message

    def _read(self, deadline: float) -> dict[str, Any]:
        while True:
            length, colon, rest = self._buffer.partition(b":")
            if colon and len(rest) > int(length):
                self._buffer = rest[int(length) + 1 :]
                return dict(json.loads(rest[: int(length)]))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"baresip: nothing wanted in time; events: {self.events}")
            self._control.settimeout(remaining)
            try:
                chunk = self._control.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"baresip closed its control socket; events: {self.events}")
            self._buffer += chunk


# baresip listens for SIP on UDP and TCP at its port and for SIP/TLS at the next one, and for
# ctrl_tcp where told: blocks of four ports from below the kernel's ephemeral range (no other
# process gets them from bind(0)) and above SIPp's media blocks (sippctl) and baresip's own RTP
# range (10000-20000), each handed out once per test session.
_PHONE_BASES = range(30000, 32764, 4)
_phones_taken: set[int] = set()


def phone_ports() -> tuple[int, int]:
    """(sip_port, ctrl_port) for one softphone: sip_port and sip_port + 1 (TLS) free for TCP
    and UDP, ctrl_port = sip_port + 2."""
    start = random.randrange(len(_PHONE_BASES))
    for offset in range(len(_PHONE_BASES)):
        base = _PHONE_BASES[(start + offset) % len(_PHONE_BASES)]
        if base not in _phones_taken and all(_free(base + n) for n in range(3)):
            _phones_taken.add(base)
            return base, base + 2
    raise RuntimeError("no free block of ports for a softphone")


def _free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


@contextmanager
def softphone(
    directory: Path, account: Account, proxy: Proxy, sip_port: int, ctrl_port: int
) -> Iterator[Softphone]:
    """baresip with `account`, registering through `proxy`; killed (its process group) at the
    end of the block. `-t` bounds it too, should the test process itself die."""
    assert BARESIP is not None, "baresip is not installed"
    write_config(directory, account, proxy, sip_port, ctrl_port)
    with (directory / "baresip.out").open("wb") as out:
        process = subprocess.Popen(
            [BARESIP, "-f", str(directory), "-t", "60", "-s"],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    control: socket.socket | None = None
    try:
        control = _connect(ctrl_port, process)
        yield Softphone(process, control)
    finally:
        if control is not None:
            control.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _connect(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> socket.socket:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"baresip exited with status {process.returncode}")
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1.0)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"baresip's ctrl_tcp did not listen on port {port} in {timeout} s")


def output(directory: Path) -> str:
    """baresip's console output with its SIP trace (-s), for assertion messages."""
    path = directory / "baresip.out"
    return path.read_text(errors="replace")[-8000:] if path.exists() else ""
