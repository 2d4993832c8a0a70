"""Building the copy forwarded to one target, RFC 3261 §16.6 steps 1 to 8.

Step 1 copy; 2 Request-URI := target; 3 Max-Forwards; 4 Record-Route (twice when the request
changes transport or address family, RFC 5658 §3.2, so each side of the dialog reaches us on
its own interface); 5 the binding's Path values become Route values ahead of the others (RFC
3327 §5.3; §16.6 step 5 "pre-loaded route set"); 6 strict-route postprocessing; 7 `next_hop`;
8 our Via, with the branch from `branch_for` and `rport`. Steps 9 to 11 (Content-Length, send,
Timer C) are the transport's and the ResponseContext's.
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.copying import copy_request
from sipwarden.proxy.identity import Flow, ProxyIdentity
from sipwarden.proxy.targets import Target
from sipwarden.sip import Request, SipUri
from sipwarden.sip.uri import Uri
from sipwarden.value import Value


class Forwarded(Value):
    """A branch's copy and where it goes (§16.6 step 7: after a step 6 rewrite the strict
    router in the Request-URI, else the top Route, else the Request-URI)."""

    # A Value, not a dataclass: one is made per branch (see sipwarden/value.py).
    __slots__ = ("next_hop", "request")
    _names: ClassVar[tuple[str, ...]] = ("request", "next_hop")

    def __init__(self, request: Request, next_hop: Uri) -> None:
        self.request: Final = request
        self.next_hop: Final = next_hop

    def _fields(self) -> tuple[object, ...]:
        return (self.request, self.next_hop)


def forward(
    request: Request,
    target: Target,
    identity: ProxyIdentity,
    config: ProxyConfig,
    *,
    branch: str,
    inbound: Flow,
    outbound: Flow,
) -> Forwarded:
    """§16.6 steps 1 to 8 for one branch (`request`: the §16.4-preprocessed request)."""
    copy = _prepared(request, target, identity, config, inbound=inbound, outbound=outbound)
    hop = copy.uri if strict_route_postprocess(copy) else next_hop(copy)
    copy.push_via(identity.interface(outbound).via(branch))
    return Forwarded(copy, hop)


def forward_copy(
    request: Request,
    target: Target,
    identity: ProxyIdentity,
    config: ProxyConfig,
    *,
    branch: str,
    inbound: Flow,
    outbound: Flow,
) -> Request:
    """The request to send on one branch: `forward(...).request`."""
    return forward(
        request, target, identity, config, branch=branch, inbound=inbound, outbound=outbound
    ).request


def _prepared(
    request: Request,
    target: Target,
    identity: ProxyIdentity,
    config: ProxyConfig,
    *,
    inbound: Flow,
    outbound: Flow,
) -> Request:
    """Steps 1 to 5."""
    copy = copy_request(request)
    if target.uri != copy.uri_text:
        copy.set_uri(target.uri)
    copy.decrement_max_forwards(config.default_max_forwards)
    if _wants_record_route(copy, config):
        _record_route(copy, identity, inbound, outbound)
    for value in reversed(target.path):
        copy.insert_header("Route", value)
    return copy


def _wants_record_route(request: Request, config: ProxyConfig) -> bool:
    """§16.6 step 4 for requests that can create a dialog (no To tag yet, §12.1)."""
    initial = request.to.tag is None
    return config.record_route and initial and request.method in config.record_route_methods


def _record_route(request: Request, identity: ProxyIdentity, inbound: Flow, outbound: Flow) -> None:
    """§16.6 step 4: the top value is the outbound interface (the UAS reaches us there first);
    below it the inbound one when they differ (RFC 5658 §3.2, double record-routing)."""
    secure = _needs_sips(request)
    if inbound != outbound:
        request.insert_header("Record-Route", f"<{identity.interface(inbound).record_route()}>")
    value = identity.interface(outbound).record_route(secure=secure)
    request.insert_header("Record-Route", f"<{value}>")


def _needs_sips(request: Request) -> bool:
    """§16.6 step 4: a SIPS Request-URI or top Route requires a SIPS Record-Route."""
    routes = request.routes
    return request.uri.scheme == "sips" or bool(routes and routes[0].uri.scheme == "sips")


def strict_route_postprocess(request: Request) -> bool:
    """§16.6 step 6: when the top Route has no `lr`, the next hop is a strict router: the
    Request-URI goes last in Route and the top Route becomes the Request-URI. True if done."""
    routes = request.routes
    if not routes or _is_loose(routes[0].uri):
        return False
    values = request.values("route")
    request.remove_header("route")
    for value in [*values[1:], f"<{request.uri_text}>"]:
        request.add_header("Route", value)
    request.set_uri(routes[0].uri_text)
    return True


def _is_loose(uri: Uri) -> bool:
    return not isinstance(uri, SipUri) or uri.lr


def next_hop(request: Request) -> Uri:
    """§16.6 step 7 / §16.12 for a request that needed no step 6 rewrite (an ACK for a 2xx
    or an in-dialog request routed statelessly, or `forward`'s copy before step 6): the top
    Route if any, else the Request-URI. `forward()` reports the hop of a rewritten copy."""
    routes = request.routes
    return routes[0].uri if routes else request.uri
