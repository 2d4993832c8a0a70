"""What the rules see of a request: a small frozen view the proxy fills (pure).

The proxy builds one `RequestView` per new request outside a dialog (in-dialog requests and
requests with Route values are routed by their Route set / Request-URI before any rule runs).
`from_local` / `ruri_local` say whether the From domain / Request-URI is served by us (the
proxy's `Locality`), `authenticated` is the user whose digest credentials verified (None when
there were none or they failed), `trusted` the trusted peer the request came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Final

from sipwarden.sip import SipUri, TelUri, parse_uri
from sipwarden.sip.uri import Uri
from sipwarden.value import Value

if TYPE_CHECKING:
    from sipwarden.routing.trust import TrustedPeer

Headers = Callable[[str], tuple[str, ...]]


def no_headers(name: str) -> tuple[str, ...]:
    """A header lookup for a request without extra headers."""
    return ()


class RequestView(Value):
    """The fields rules match on. `headers(name)` returns every value of a header (any case)."""

    # A Value, not a dataclass: one is made per routed request (see sipwarden/value.py).
    __slots__ = (
        "authenticated",
        "call_id",
        "from_domain",
        "from_local",
        "from_user",
        "headers",
        "method",
        "ruri",
        "ruri_domain",
        "ruri_local",
        "ruri_user",
        "source",
        "to_domain",
        "to_user",
        "transport",
        "trusted",
    )
    _names: ClassVar[tuple[str, ...]] = (
        "method",
        "ruri",
        "ruri_user",
        "ruri_domain",
        "from_user",
        "from_domain",
        "to_user",
        "to_domain",
        "source",
        "transport",
        "authenticated",
        "from_local",
        "ruri_local",
        "trusted",
        "call_id",
        "headers",
    )

    def __init__(
        self,
        method: str,
        ruri: str,
        ruri_user: str | None,
        ruri_domain: str,
        from_user: str | None = None,
        from_domain: str = "",
        to_user: str | None = None,
        to_domain: str = "",
        source: str = "",
        transport: str = "udp",
        authenticated: str | None = None,
        from_local: bool = False,
        ruri_local: bool = False,
        trusted: TrustedPeer | None = None,
        call_id: str = "",
        headers: Headers = no_headers,
    ) -> None:
        self.method: Final = method
        self.ruri: Final = ruri
        self.ruri_user: Final = ruri_user
        self.ruri_domain: Final = ruri_domain
        self.from_user: Final = from_user
        self.from_domain: Final = from_domain
        self.to_user: Final = to_user
        self.to_domain: Final = to_domain
        self.source: Final = source
        self.transport: Final = transport
        self.authenticated: Final = authenticated
        self.from_local: Final = from_local
        self.ruri_local: Final = ruri_local
        self.trusted: Final = trusted
        self.call_id: Final = call_id
        self.headers: Final = headers

    def _fields(self) -> tuple[object, ...]:
        return (
            self.method,
            self.ruri,
            self.ruri_user,
            self.ruri_domain,
            self.from_user,
            self.from_domain,
            self.to_user,
            self.to_domain,
            self.source,
            self.transport,
            self.authenticated,
            self.from_local,
            self.ruri_local,
            self.trusted,
            self.call_id,
            self.headers,
        )

    def with_ruri(self, ruri: str) -> RequestView:
        """The view after a rewrite of the Request-URI."""
        user, domain = uri_parts(ruri)
        return RequestView(
            self.method,
            ruri,
            user,
            domain,
            self.from_user,
            self.from_domain,
            self.to_user,
            self.to_domain,
            self.source,
            self.transport,
            self.authenticated,
            self.from_local,
            self.ruri_local,
            self.trusted,
            self.call_id,
            self.headers,
        )


def uri_parts(text: str) -> tuple[str | None, str]:
    """(user, domain) of a SIP/SIPS URI, (number, "") of a tel URI; ParseError if unparsable."""
    return parts_of(parse_uri(text))


def parts_of(uri: Uri) -> tuple[str | None, str]:
    """`uri_parts` of a URI already parsed (a request's Request-URI, From or To)."""
    if isinstance(uri, SipUri):
        return uri.user, uri.host.lower()
    if isinstance(uri, TelUri):
        return uri.number, ""
    return None, ""


def with_user(text: str, user: str) -> str:
    """The URI `text` with its user part (a tel URI: its number) replaced by `user`."""
    uri = parse_uri(text)
    if isinstance(uri, SipUri):
        return str(uri.replace(user=user))
    if isinstance(uri, TelUri):
        return str(TelUri(user, uri.params))
    return text


def build_view(
    method: str,
    ruri: str,
    from_uri: str | None = None,
    to_uri: str | None = None,
    **fields: object,
) -> RequestView:
    """A view from URI texts (From and To default to the Request-URI); `fields` as in
    RequestView. ParseError when a URI does not parse."""
    ruri_user, ruri_domain = uri_parts(ruri)
    from_user, from_domain = uri_parts(from_uri or ruri)
    to_user, to_domain = uri_parts(to_uri or ruri)
    values: dict[str, object] = {
        "method": method.upper(),
        "ruri": ruri,
        "ruri_user": ruri_user,
        "ruri_domain": ruri_domain,
        "from_user": from_user,
        "from_domain": from_domain,
        "to_user": to_user,
        "to_domain": to_domain,
    }
    values.update(fields)  # as dataclasses.replace did: a field named here wins
    return RequestView(**values)  # type: ignore[arg-type]
