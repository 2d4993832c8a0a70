"""sipwarden.sip: the sans-IO SIP message layer (RFC 3261 §7, §8.2.6, §18.3, §19, §20, §25).

No sockets, no asyncio, no clock: bytes in, typed messages out, bytes back.
"""

from sipwarden.errors import ParseError
from sipwarden.sip.address import NameAddr, parse_name_addr
from sipwarden.sip.message import Message, Request, Response
from sipwarden.sip.parser import (
    MAX_HEADERS,
    MAX_MESSAGE_SIZE,
    KeepAlive,
    StreamFramer,
    parse_datagram,
    parse_message,
)
from sipwarden.sip.request import build_request
from sipwarden.sip.response import build_response, stateless_error
from sipwarden.sip.uri import AbsoluteUri, SipUri, TelUri, Uri, parse_uri
from sipwarden.sip.values import ContentType, CSeq, RetryAfter
from sipwarden.sip.via import Via, parse_via

__all__ = [
    "MAX_HEADERS",
    "MAX_MESSAGE_SIZE",
    "AbsoluteUri",
    "CSeq",
    "ContentType",
    "KeepAlive",
    "Message",
    "NameAddr",
    "ParseError",
    "Request",
    "Response",
    "RetryAfter",
    "SipUri",
    "StreamFramer",
    "TelUri",
    "Uri",
    "Via",
    "build_request",
    "build_response",
    "parse_datagram",
    "parse_message",
    "parse_name_addr",
    "parse_uri",
    "parse_via",
    "stateless_error",
]
