"""The ACK an INVITE client transaction sends for a 300-699 response (RFC 3261 §17.1.1.3)."""

from __future__ import annotations

from sipwarden.errors import ParseError
from sipwarden.sip import Request, Response, build_request


def build_ack(invite: Request, response: Response) -> Request:
    """The ACK for a non-2xx final `response` to `invite` (the request as it was sent).

    §17.1.1.3: the Request-URI, Call-ID and From of the INVITE; the To of the response; a
    single Via equal to the INVITE's top Via; the INVITE's CSeq number with method ACK; and the
    INVITE's Route header fields, so stateless proxies downstream route it the same way. The
    INVITE's Max-Forwards is copied (§8.1.1 makes it mandatory) and there is no body.
    """
    headers = [("Via", invite.values("via")[0])]
    headers += [("Route", route) for route in invite.header_lines("route")]
    headers += [
        ("Max-Forwards", invite.header("max-forwards") or "70"),
        ("From", _required(invite, "from")),
        ("To", _required(response, "to")),
        ("Call-ID", invite.call_id),
        ("CSeq", f"{invite.cseq.seq} ACK"),
    ]
    return build_request("ACK", invite.uri_text, headers)


def _required(message: Request | Response, name: str) -> str:
    value = message.header(name)
    if value is None:
        raise ParseError(f"missing {name} header")
    return value
