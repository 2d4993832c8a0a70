"""Independent copies of messages (RFC 3261 §16.6 step 1: "Make a copy of the received
request"): re-parsed from the serialized bytes, so untouched lines stay byte for byte."""

from __future__ import annotations

from sipwarden.errors import LocalError
from sipwarden.sip import Request, Response, parse_datagram


def copy_request(request: Request) -> Request:
    copy = parse_datagram(request.serialize())
    if not isinstance(copy, Request):
        raise LocalError("a request did not re-parse as a request")
    return copy


def copy_response(response: Response) -> Response:
    copy = parse_datagram(response.serialize())
    if not isinstance(copy, Response):
        raise LocalError("a response did not re-parse as a response")
    return copy
