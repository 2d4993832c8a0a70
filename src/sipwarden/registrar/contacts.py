"""Reading the Contact header field of a REGISTER (RFC 3261 §10.3 steps 6 and 7).

Each Contact becomes a `WantedContact`: its URI, the expiration interval the registrar grants
(step 7's rules: the `expires` parameter, else the Expires header, else the default; capped at
the maximum; 423 below the minimum), its q-value and its RFC 5626 instance and reg-id. Every
check that can refuse the request runs here, before any binding is touched.
"""

from __future__ import annotations

from collections.abc import Callable

from sipwarden.errors import ParseError
from sipwarden.registrar.config import RegistrarConfig
from sipwarden.registrar.result import Refusal
from sipwarden.sip.address import NameAddr
from sipwarden.sip.uri import Uri

MAX_REG_ID = 2**31 - 1  # RFC 5626 §4.2: reg-id is 1 to 2**31-1


class WantedContact:
    """One Contact of a REGISTER; `expires` is the granted interval, 0 to remove (§10.3 step 7).

    A plain slotted class, read-only by convention: one is made per Contact of every REGISTER,
    and a frozen dataclass's `__init__` costs several times as much.
    """

    __slots__ = ("expires", "instance", "q", "reg_id", "text", "uri")

    def __init__(
        self,
        text: str,
        uri: Uri,
        expires: int,
        q: float | None,
        instance: str | None,
        reg_id: int | None,
    ) -> None:
        self.text = text
        self.uri = uri
        self.expires = expires
        self.q = q
        self.instance = instance
        self.reg_id = reg_id


def is_star_request(contacts: list[NameAddr], expires_header: int | None) -> bool:
    """§10.3 step 6: "*" is valid only as the one Contact value, with "Expires: 0".

    "If the request has additional Contact fields or an expiration time other than zero, the
    request is invalid, and the server MUST return a 400 (Invalid Request)". `*` takes no
    parameters (§20.10: `Contact: STAR / ...`), so `*;expires=0` is malformed too.
    """
    if not any(c.is_star for c in contacts):
        return False
    if len(contacts) > 1:
        raise Refusal(400, "Contact: * must be the only Contact", "bad-star")
    if contacts[0].params:
        raise Refusal(400, "Contact: * takes no parameters", "bad-star")
    if expires_header != 0:
        raise Refusal(400, "Contact: * requires Expires: 0", "bad-star")
    return True


def wanted_contacts(
    contacts: list[NameAddr],
    expires_header: int | None,
    config: RegistrarConfig,
    is_self: Callable[[Uri], bool],
    existing: int,
) -> list[WantedContact]:
    """The Contacts of a REGISTER, checked: 400 malformed or listed twice, 403 too many or one
    pointing at this proxy, 423 an interval below the minimum.

    A useful Contact either adds a binding (at most `max_contacts`) or changes one of the
    `existing`; a request listing more is refused before its URIs are parsed and compared.
    """
    if len(contacts) > config.max_contacts + existing:
        raise Refusal(403, f"Too many contacts (max {config.max_contacts})", "too-many-contacts")
    wanted: list[WantedContact] = []
    for contact in contacts:
        one = wanted_contact(contact, expires_header, config)
        if one.expires and is_self(one.uri):
            raise Refusal(403, "Contact points at this proxy", "self-contact")
        if wanted and any(one.uri == other.uri for other in wanted):  # usually one Contact
            raise Refusal(400, "Contact listed twice", "duplicate-contact")
        wanted.append(one)
    return wanted


def wanted_contact(
    contact: NameAddr, expires_header: int | None, config: RegistrarConfig
) -> WantedContact:
    if not contact.params:  # no expires, q, +sip.instance or reg-id: nothing to look up
        requested = config.default_expires if expires_header is None else expires_header
        expires = granted_expires(requested, config)
        return WantedContact(contact.uri_text, contact.uri, expires, None, None, None)
    requested = requested_expires(contact, expires_header, config)
    return WantedContact(
        contact.uri_text,
        contact.uri,
        granted_expires(requested, config),
        contact.q,
        instance_of(contact),
        reg_id_of(contact),
    )


def requested_expires(
    contact: NameAddr, expires_header: int | None, config: RegistrarConfig
) -> int:
    """§10.3 step 7: "If the field value has an "expires" parameter, that value MUST be taken
    as the requested expiration. If there is no such parameter, but the request has an Expires
    header field, that value MUST be taken ... If there is neither, a locally-configured default
    value MUST be taken"."""
    if (param := contact.expires) is not None:
        return param
    return config.default_expires if expires_header is None else expires_header


def granted_expires(requested: int, config: RegistrarConfig) -> int:
    """§10.3 step 7: "The registrar MAY choose an expiration less than the requested expiration
    interval" (we cap at max_expires). "If and only if the requested expiration interval is
    greater than zero AND smaller than one hour AND less than a registrar-configured minimum,
    the registrar MAY reject the registration with a response of 423 (Interval Too Brief). This
    response MUST contain a Min-Expires header field" (min_expires is at most one hour)."""
    if 0 < requested < config.min_expires:
        raise Refusal(
            423,
            "Interval Too Brief",
            "interval-too-brief",
            (("Min-Expires", str(config.min_expires)),),
        )
    return min(requested, config.max_expires)


def instance_of(contact: NameAddr) -> str | None:
    """The `+sip.instance` value without its quotes, e.g. "<urn:uuid:...>" (RFC 5626 §4.1)."""
    value = contact.param("+sip.instance")
    if value is None:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def reg_id_of(contact: NameAddr) -> int | None:
    """The `reg-id` value, 1 to 2**31-1 (RFC 5626 §4.2); ParseError (400) otherwise."""
    value = contact.param("reg-id")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise ParseError("bad reg-id")
    number = int(value)
    if not 1 <= number <= MAX_REG_ID:
        raise ParseError("reg-id out of range")
    return number
