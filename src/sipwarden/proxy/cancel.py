"""CANCEL for a forwarded INVITE branch, RFC 3261 §9.1 (used by §16.10 and §16.7 step 10)."""

from __future__ import annotations

from sipwarden.errors import ParseError
from sipwarden.sip import Request, build_request


def build_cancel(forwarded: Request) -> Request:
    """§9.1: the Request-URI, Call-ID, To, From and CSeq number of the request as it was sent,
    a single Via equal to its top Via (so it matches the same server transaction downstream),
    its Route values, CSeq method CANCEL, and Max-Forwards (mandatory, §8.1.1.6)."""
    headers = [("Via", forwarded.values("via")[0])]
    headers += [("Route", route) for route in forwarded.header_lines("route")]
    headers += [
        ("Max-Forwards", "70"),
        ("From", _line(forwarded, "from")),
        ("To", _line(forwarded, "to")),
        ("Call-ID", forwarded.call_id),
        ("CSeq", f"{forwarded.cseq.seq} CANCEL"),
    ]
    return build_request("CANCEL", forwarded.uri_text, headers)


def _line(request: Request, name: str) -> str:
    value = request.header(name)
    if value is None:
        raise ParseError(f"missing {name} header")
    return value
