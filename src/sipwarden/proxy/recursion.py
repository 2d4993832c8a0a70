"""Recursing on a 3xx, RFC 3261 §16.7 step 4 and §16.5: its Contacts join the target set
unless already there; those recursed on are removed from the response before it is kept."""

from __future__ import annotations

from sipwarden.errors import ParseError
from sipwarden.proxy.targets import Target
from sipwarden.sip import NameAddr, Response
from sipwarden.sip.uri import Uri, parse_uri


def redirect_targets(
    response: Response, tried: list[Uri], schemes: tuple[str, ...]
) -> tuple[list[Target], list[str]]:
    """(new targets, Contact values left in the response). A Contact is left when its scheme
    is not one we forward to or it does not parse; one already tried is dropped."""
    targets: list[Target] = []
    kept: list[str] = []
    for value, contact in _contacts(response):
        if contact is None:
            kept.append(value)
            continue
        uri = _uri(contact)
        if uri is None or uri.scheme not in schemes:
            kept.append(value)
        elif uri not in tried and all(uri != parse_uri(t.uri) for t in targets):
            targets.append(Target(uri=contact.uri_text, q=_q(contact), reason="redirect"))
    return targets, kept


def _contacts(response: Response) -> list[tuple[str, NameAddr | None]]:
    values = response.values("contact")
    try:
        return list(zip(values, response.contacts))
    except ParseError:
        return [(value, None) for value in values]


def _uri(contact: NameAddr) -> Uri | None:
    try:
        return None if contact.is_star else contact.uri
    except ParseError:
        return None


def _q(contact: NameAddr) -> float | None:
    try:
        return contact.q
    except ParseError:
        return None


def keep_contacts(response: Response, kept: list[str]) -> None:
    response.remove_header("contact")
    for value in kept:
        response.add_header("Contact", value)
