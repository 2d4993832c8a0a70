"""Listen specs PROTO:HOST:PORT (sipwarden.transport.listen)."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError
from sipwarden.transport import ListenSpec, ListenSpecError, parse_listen


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("udp:127.0.0.1:5060", ListenSpec("udp", "127.0.0.1", 5060)),
        ("tcp:[::1]:5060", ListenSpec("tcp", "::1", 5060)),
        ("tls:0.0.0.0:5061", ListenSpec("tls", "0.0.0.0", 5061)),
        ("ws:127.0.0.1:8080", ListenSpec("ws", "127.0.0.1", 8080)),
        ("wss:[::]:8443", ListenSpec("wss", "::", 8443)),
        ("UDP:127.0.0.1:0", ListenSpec("udp", "127.0.0.1", 0)),
        ("tcp:[0:0::1]:65535", ListenSpec("tcp", "::1", 65535)),
    ],
)
def test_good_specs(spec: str, expected: ListenSpec) -> None:
    assert parse_listen(spec) == expected


def test_transport_token_and_str() -> None:
    spec = parse_listen("wss:[::]:8443")
    assert spec.transport == "WSS"
    assert str(spec) == "wss:[::]:8443"
    assert parse_listen(str(spec)) == spec


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("udp", "expected PROTO:HOST:PORT"),
        ("sctp:127.0.0.1:5060", "protocol 'sctp'"),
        ("udp:127.0.0.1", "missing :PORT"),
        ("udp:5060", "missing :PORT"),
        ("udp:example.com:5060", "is not an IPv4"),
        ("udp:::1:5060", "in brackets"),
        ("udp:[127.0.0.1]:5060", "only for IPv6"),
        ("udp:127.0.0.1:65536", "0..65535"),
        ("udp:127.0.0.1:-1", "0..65535"),
        ("udp:127.0.0.1:", "0..65535"),
        ("udp:[::1:5060", "is not an IPv4"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(ListenSpecError) as info:
        parse_listen(spec)
    assert isinstance(info.value, LocalError)
    message = str(info.value)
    assert says in message
    assert "\n" not in message
