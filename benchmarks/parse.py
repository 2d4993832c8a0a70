#!/usr/bin/env python3
"""Message-layer benchmark: what a proxy does to every INVITE and its 200 OK, on one core.

For each message: parse the datagram, read the routing headers (top Via and its branch, Route,
Max-Forwards, CSeq, Call-ID, From and To tags), then for the INVITE push a Via, decrement
Max-Forwards and re-serialize; for the 200 OK pop the top Via and re-serialize.

Usage: python benchmarks/parse.py [--seconds S]
The last line reads `<N> msg/s` (INVITE and 200 OK each count as one message).
"""

from __future__ import annotations

import argparse
import time

from sipwarden.sip import Request, Response, parse_datagram

SDP = (
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 192.0.2.101\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
)

INVITE = (
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKnashds8;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:proxy.example.com;lr>\r\n"
    'From: "Alice Example" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    'To: "Bob Example" <sip:bob@biloxi.example.com>\r\n'
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.101:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, MESSAGE, UPDATE, PRACK\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "User-Agent: ExamplePhone/4.2.1\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(SDP)}\r\n"
    "\r\n"
    f"{SDP}"
).encode()

OK = (
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.1\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKnashds8;rport=5060;received=192.0.2.101\r\n"
    'From: "Alice Example" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    'To: "Bob Example" <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n'
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Record-Route: <sip:192.0.2.1;lr>\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(SDP)}\r\n"
    "\r\n"
    f"{SDP}"
).encode()

NEW_VIA = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK4b43c2ff8.1"


def relay_request(data: bytes) -> bytes:
    m = parse_datagram(data)
    assert isinstance(m, Request)
    via = m.top_via
    _ = (via.branch, m.routes, m.max_forwards, m.cseq, m.call_id, m.from_.tag, m.to.tag)
    m.push_via(NEW_VIA)
    m.decrement_max_forwards()
    return m.serialize()


def relay_response(data: bytes) -> bytes:
    m = parse_datagram(data)
    assert isinstance(m, Response)
    via = m.top_via
    _ = (via.branch, m.cseq, m.call_id, m.from_.tag, m.to.tag)
    m.pop_via()
    return m.serialize()


def rate(fn: object, data: bytes, seconds: float) -> float:
    assert callable(fn)
    count = 0
    batch = 2000
    start = time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn(data)
        count += batch
        now = time.process_time()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per measurement")
    args = parser.parse_args()
    print(f"INVITE {len(INVITE)} bytes, 200 OK {len(OK)} bytes")
    rates = []
    for _ in range(3):
        invite = rate(relay_request, INVITE, args.seconds / 2)
        ok = rate(relay_response, OK, args.seconds / 2)
        rates.append((invite, ok))
    invite, ok = sorted(rates)[1]  # the median run
    both = 2 / (1 / invite + 1 / ok)
    print(f"INVITE  parse + route headers + Via push + serialize: {invite:,.0f} msg/s")
    print(f"200 OK  parse + route headers + Via pop + serialize:  {ok:,.0f} msg/s")
    print(f"{both:.0f} msg/s")


if __name__ == "__main__":
    main()
