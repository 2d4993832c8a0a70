"""Listen specs `PROTO:HOST:PORT`, such as `udp:127.0.0.1:5060` or `wss:[::]:8443`.

HOST is an IPv4 address or a bracketed IPv6 address (RFC 3986 §3.2.2 style, as in SIP's
`hostport`, RFC 3261 §25.1); PORT is 0..65535, where 0 asks the system for a free port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sipwarden.errors import LocalError

PROTOCOLS = ("udp", "tcp", "tls", "ws", "wss")


class ListenSpecError(LocalError):
    """A listen spec in the configuration is malformed; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """Where to listen: `proto` is lower-case, `host` an IP address without brackets."""

    proto: str
    host: str
    port: int

    @property
    def transport(self) -> str:
        """The Via transport token for this listener (RFC 3261 §18, RFC 7118 §5)."""
        return self.proto.upper()

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.proto}:{host}:{self.port}"


def parse_listen(spec: str) -> ListenSpec:
    """Parse one `PROTO:HOST:PORT`; ListenSpecError with a one-line reason when it is bad."""
    proto, sep, rest = spec.strip().partition(":")
    if not sep:
        raise ListenSpecError(f"listen spec {spec!r}: expected PROTO:HOST:PORT")
    if proto.lower() not in PROTOCOLS:
        raise ListenSpecError(
            f"listen spec {spec!r}: protocol {proto!r} is not one of {', '.join(PROTOCOLS)}"
        )
    host_text, sep, port_text = rest.rpartition(":")
    if not sep:
        raise ListenSpecError(f"listen spec {spec!r}: missing :PORT")
    return ListenSpec(proto.lower(), _host(spec, host_text), _port(spec, port_text))


def _host(spec: str, text: str) -> str:
    bracketed = text.startswith("[") and text.endswith("]")
    inner = text[1:-1] if bracketed else text
    try:
        address = ipaddress.ip_address(inner)
    except ValueError:
        raise ListenSpecError(
            f"listen spec {spec!r}: host {text!r} is not an IPv4 address or [IPv6] address"
        ) from None
    if address.version == 6 and not bracketed:
        raise ListenSpecError(f"listen spec {spec!r}: write the IPv6 host in brackets, [{text}]")
    if address.version == 4 and bracketed:
        raise ListenSpecError(f"listen spec {spec!r}: brackets are only for IPv6 hosts")
    return str(address)


def _port(spec: str, text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ListenSpecError(f"listen spec {spec!r}: port {text!r} is not a number 0..65535")
    return int(text)
