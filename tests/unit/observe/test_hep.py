"""HEP v3 encoding (observe/hep.py): exact bytes, round trips, bad input, the [hep] checker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sipwarden.config.observe_checks import split_collector
from sipwarden.observe.hep import (
    PROTO_TCP,
    PROTO_UDP,
    HepError,
    HepPacket,
    call_id_of,
    capture_packet,
    decode,
    encode,
)
from sipwarden.transport.address import Address

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)

KNOWN = HepPacket(
    source_ip="192.0.2.1",
    source_port=5060,
    destination_ip="192.0.2.2",
    destination_port=5080,
    seconds=1_700_000_000,
    microseconds=123_456,
    payload=b"OPTIONS",
    agent_id=2001,
    correlation_id="abc",
)

# Written out by hand from the HEP3 specification: vendor 0, type, length (header included).
KNOWN_BYTES = bytes.fromhex(
    "48455033 0073"  # "HEP3", total length 115
    "0000 0001 0007 02"  # IP family: IPv4
    "0000 0002 0007 11"  # IP protocol: UDP (17)
    "0000 0003 000a c0000201"  # IPv4 source 192.0.2.1
    "0000 0004 000a c0000202"  # IPv4 destination 192.0.2.2
    "0000 0007 0008 13c4"  # source port 5060
    "0000 0008 0008 13d8"  # destination port 5080
    "0000 0009 000a 6553f100"  # seconds 1700000000
    "0000 000a 000a 0001e240"  # microseconds 123456
    "0000 000b 0007 01"  # protocol type: SIP
    "0000 000c 000a 000007d1"  # capture agent id 2001
    "0000 0011 0009 616263"  # correlation id "abc"
    "0000 000f 000d 4f5054494f4e53"  # payload "OPTIONS"
)


def test_known_packet_has_the_exact_bytes() -> None:
    assert encode(KNOWN) == KNOWN_BYTES


def test_known_bytes_decode_to_the_packet() -> None:
    assert decode(KNOWN_BYTES) == KNOWN


def test_ipv4_round_trip_with_auth_key() -> None:
    packet = capture_packet(
        INVITE,
        Address("UDP", "198.51.100.7", 5062),
        Address("UDP", "203.0.113.9", 5060),
        1_763_700_000.25,
        agent_id=7,
        auth_key="s3cret",
    )
    decoded = decode(encode(packet))
    assert decoded == packet
    assert decoded.auth_key == "s3cret"
    assert (decoded.seconds, decoded.microseconds) == (1_763_700_000, 250_000)
    assert decoded.correlation_id == "a84b4c76e66710@pc33"
    assert decoded.payload == INVITE


def test_ipv6_round_trip_uses_the_ipv6_chunks() -> None:
    packet = capture_packet(
        INVITE, Address("TLS", "2001:db8::1", 5061), Address("TLS", "2001:db8::2", 40000), 1.5, 1
    )
    data = encode(packet)
    assert bytes.fromhex("0000 0005 0016") + bytes.fromhex("20010db8" + "00" * 11 + "01") in data
    assert bytes.fromhex("0000 0001 0007 0a") in data  # family 10
    decoded = decode(data)
    assert decoded == packet
    assert decoded.protocol == PROTO_TCP
    assert decoded.family == 10


@pytest.mark.parametrize(
    ("transport", "protocol"), [("UDP", PROTO_UDP), ("TCP", PROTO_TCP), ("WSS", PROTO_TCP)]
)
def test_transport_maps_to_the_ip_protocol(transport: str, protocol: int) -> None:
    packet = capture_packet(
        b"x", Address(transport, "127.0.0.1", 1), Address(transport, "127.0.0.1", 2), 0.0, 0
    )
    assert packet.protocol == protocol


def test_microseconds_never_reach_a_full_second() -> None:
    packet = capture_packet(
        b"x", Address("UDP", "127.0.0.1", 1), Address("UDP", "127.0.0.1", 2), 9.9999999, 0
    )
    assert (packet.seconds, packet.microseconds) == (9, 999_999)


def test_mixed_families_are_refused() -> None:
    packet = capture_packet(b"x", Address("UDP", "127.0.0.1", 1), Address("UDP", "::1", 2), 0.0, 0)
    with pytest.raises(HepError, match="mixed"):
        encode(packet)


def test_oversized_payload_is_refused() -> None:
    packet = capture_packet(
        b"x" * 70000, Address("UDP", "127.0.0.1", 1), Address("UDP", "127.0.0.1", 2), 0.0, 0
    )
    with pytest.raises(HepError):
        encode(packet)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"HEP2\x00\x06",
        KNOWN_BYTES[:-1],  # length field disagrees
        b"HEP3\x00\x08\x00\x00",  # truncated chunk header
        b"HEP3\x00\x0c\x00\x00\x00\x01\x00\x03",  # chunk length below its header
        b"HEP3\x00\x06",  # no chunks at all
        KNOWN_BYTES.replace(bytes.fromhex("0000 0009 000a"), bytes.fromhex("0000 0009 0009"), 1)[
            :-1
        ].replace(b"\x00\x73", b"\x00\x72", 1),  # a short timestamp chunk
    ],
)
def test_bad_packets_raise_hep_error_only(data: bytes) -> None:
    with pytest.raises(HepError):
        decode(data)


def test_other_vendor_chunks_are_skipped() -> None:
    extra = bytes.fromhex("0022 0001 0008 abcd")  # vendor 0x22, type 1: not ours
    data = KNOWN_BYTES[:4] + (115 + 8).to_bytes(2, "big") + KNOWN_BYTES[6:] + extra
    assert decode(data) == KNOWN


def test_call_id_compact_form_and_absent() -> None:
    assert call_id_of(b"BYE sip:a@b SIP/2.0\r\ni:  xyz@host \r\n\r\nCall-ID: body") == "xyz@host"
    assert call_id_of(b"SIP/2.0 200 OK\r\nCALL-ID:q\r\n\r\n") == "q"
    assert call_id_of(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n") is None
    assert call_id_of(b"\r\n\r\n") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9060", ("127.0.0.1", 9060)),
        ("[::1]:9060", ("::1", 9060)),
        ("Homer.Example.net:9060", ("homer.example.net", 9060)),
    ],
)
def test_collector_forms(text: str, expected: tuple[str, int]) -> None:
    assert split_collector(text) == expected


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1:0", ":9060", "[1.2.3.4]:9060", "a b:1"])
def test_bad_collectors(text: str) -> None:
    with pytest.raises(ValueError):
        split_collector(text)


def test_pure_observe_modules_import_no_asyncio_or_socket() -> None:
    probe = (
        "import sys\n"
        "for name in ('asyncio', 'socket'): sys.modules.pop(name, None)\n"
        "import sipwarden.observe.hep, sipwarden.observe.cdr, sipwarden.observe.cdr_feed\n"
        "print(sorted(n for n in ('asyncio', 'socket') if n in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
