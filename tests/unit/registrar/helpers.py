"""REGISTER requests for the registrar tests, and a registrar with a fake `is_self`."""

from __future__ import annotations

from collections.abc import Sequence

from sipwarden.location import Binding
from sipwarden.registrar import RegisterResult, Registrar, RegistrarConfig
from sipwarden.sip import Request, SipUri, Uri, parse_message

AOR = "sip:alice@example.com"
NOW = 1_700_000_000.0
PROXY_HOST = "proxy.example.com"


def register(
    *contacts: str,
    expires: int | str | None = None,
    call_id: str = "call-1",
    cseq: int = 1,
    path: Sequence[str] = (),
    supported: str | None = None,
    extra: Sequence[str] = (),
) -> Request:
    """A REGISTER for alice with one Contact line per value of `contacts`."""
    lines = [
        "REGISTER sip:example.com SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1",
        "Max-Forwards: 70",
        "From: <sip:alice@example.com>;tag=f1",
        "To: <sip:alice@example.com>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        "User-Agent: TestPhone/1.0",
        *(f"Contact: {c}" for c in contacts),
        *(f"Path: {p}" for p in path),
        *extra,
    ]
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if supported is not None:
        lines.append(f"Supported: {supported}")
    wire = "\r\n".join([*lines, "Content-Length: 0", "", ""]).encode()
    message = parse_message(wire)
    assert isinstance(message, Request)
    return message


def is_self(uri: Uri) -> bool:
    return isinstance(uri, SipUri) and uri.host.lower() == PROXY_HOST


def registrar(**config: int) -> Registrar:
    return Registrar(RegistrarConfig(**config), is_self)


def apply(
    request: Request,
    current: Sequence[Binding] = (),
    *,
    now: float = NOW,
    reg: Registrar | None = None,
) -> tuple[RegisterResult, list[Binding]]:
    reg = reg or registrar()
    return reg.apply(request, AOR, list(current), source="udp:192.0.2.1:5060", now=now)


def header(result: RegisterResult, name: str) -> list[str]:
    return [value for key, value in result.headers if key == name]


def binding(contact: str, expires_at: float, **fields: object) -> Binding:
    values: dict[str, object] = {"call_id": "call-1", "cseq": 1, "registered_at": NOW}
    values.update(fields)
    return Binding(AOR, contact, expires_at, **values)  # type: ignore[arg-type]
