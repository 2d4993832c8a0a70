"""Route information preprocessing, RFC 3261 §16.4 (examples in §16.12.1).

On a copy of the request (the original stays as received: its branch hash and responses
need it):
1. Strict-router fix: a Request-URI we put in Record-Route means the previous hop is a strict
   router (RFC 2543); the real Request-URI is the last Route value, which is removed.
2. maddr: a Request-URI whose maddr names us (and whose port reaches us) loses maddr, port and
   transport, and is processed as if they had never been there.
3. Our own Route values at the top are removed: one, or two after double record-routing
   (RFC 5658 §3), or more when the request spiralled through us.
"""

from __future__ import annotations

from sipwarden.proxy.copying import copy_request
from sipwarden.proxy.identity import ProxyIdentity
from sipwarden.sip import Request, SipUri
from sipwarden.sip.uri import Uri


def preprocess(request: Request, identity: ProxyIdentity) -> Request:
    """The §16.4 result as a new request; ParseError when a Route value is malformed."""
    copy = copy_request(request)
    _strict_fix(copy, identity)
    _strip_maddr(copy, identity)
    while copy.routes and identity.owns(copy.routes[0].uri):
        copy.pop_value("route")
    return copy


def _strict_fix(request: Request, identity: ProxyIdentity) -> None:
    """§16.4 first paragraph (§16.12.1.2 shows it)."""
    routes = request.routes
    if not routes or not identity.is_record_route(request.uri):
        return
    last = routes[-1]
    kept = request.values("route")[:-1]
    request.remove_header("route")
    for value in kept:
        request.add_header("Route", value)
    request.set_uri(last.uri_text)


def _strip_maddr(request: Request, identity: ProxyIdentity) -> None:
    uri = request.uri
    if not isinstance(uri, SipUri) or uri.maddr is None:
        return
    if identity.is_self(_at_maddr(uri)):
        params = tuple(p for p in uri.params if p[0].lower() not in ("maddr", "transport"))
        request.set_uri(uri.replace(port=None, params=params))


def _at_maddr(uri: SipUri) -> Uri:
    """The URI as it would be with its maddr as host (same port and transport)."""
    params = tuple(p for p in uri.params if p[0].lower() != "maddr")
    return uri.replace(host=uri.maddr or uri.host, user=None, params=params)
