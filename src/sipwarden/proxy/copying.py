"""Independent copies of messages (RFC 3261 §16.6 step 1: "Make a copy of the received
request"): the header lines are copied as they are, so untouched lines stay byte for byte, and
the result is what re-parsing the serialized message would give (see `Message.copy`)."""

from __future__ import annotations

from sipwarden.sip import Request, Response


def copy_request(request: Request) -> Request:
    return request.copy()


def copy_response(response: Response) -> Response:
    return response.copy()
