"""Between the proxy's `Request` and the rules: the view rules see, and the edits they make.

`view_of(request, ...)` fills a `RequestView` from a parsed request plus what only the proxy
knows (source address, transport, authentication, locality, trusted peer). `apply(request,
decision)` gives the request the decision's Request-URI (after rewrites) and header edits,
in order; the proxy calls it on its copy of the request before forwarding (RFC 3261 §16.6
step 1 copies the request, step 2 sets the Request-URI).
"""

from __future__ import annotations

from sipwarden.routing.request import RequestView, parts_of
from sipwarden.routing.table import Decision
from sipwarden.routing.trust import TrustedPeer
from sipwarden.sip import Request


def view_of(
    request: Request,
    *,
    source: str,
    transport: str,
    authenticated: str | None = None,
    from_local: bool = False,
    ruri_local: bool = False,
    trusted: TrustedPeer | None = None,
) -> RequestView:
    """The view of `request`; ParseError when its Request-URI, From or To is malformed. The
    URIs the request has already parsed (and caches) are read, not parsed again."""
    ruri_user, ruri_domain = parts_of(request.uri)
    from_user, from_domain = parts_of(request.from_.uri)
    to_user, to_domain = parts_of(request.to.uri)
    return RequestView(
        request.method,
        request.uri_text,
        ruri_user,
        ruri_domain,
        from_user,
        from_domain,
        to_user,
        to_domain,
        source,
        transport.lower(),
        authenticated,
        from_local,
        ruri_local,
        trusted,
        request.call_id,
        lambda name: tuple(request.header_lines(name)),
    )


def apply(request: Request, decision: Decision) -> None:
    """Set the rewritten Request-URI and apply the header edits to `request` (a copy)."""
    if decision.ruri != request.uri_text:
        request.set_uri(decision.ruri)
    for edit in decision.headers:
        if edit.kind == "set":
            request.set_header(edit.name, edit.value)
        else:
            request.remove_header(edit.name)
