"""HEP v3 (Homer Encapsulation Protocol, "EEP") packets: encode for a collector, decode for tests.

How this works: a HEP v3 packet is the 4 bytes "HEP3", a 16-bit total length (header included),
then chunks. Every chunk is vendor id (16 bits), type id (16 bits), length (16 bits, the 6-byte
chunk header included) and the value; all integers are in network byte order. We send only
generic chunks (vendor 0x0000) of these types:

    1 IP protocol family (u8: 2 = IPv4, 10 = IPv6)   2 IP protocol id (u8: 17 UDP, 6 TCP)
    3/4 IPv4 source/destination (4 bytes)            5/6 IPv6 source/destination (16 bytes)
    7/8 source/destination port (u16)                9/10 timestamp seconds/microseconds (u32)
    11 protocol type (u8: 1 = SIP)                   12 capture agent id (u32)
    14 authentication key (string, optional)         15 captured payload (the SIP message)
    17 correlation id (string: the Call-ID)

Sources: the HEP3 Network Protocol Specification (sipcapture/HEP, docs/HEP3_Network_Protocol_
Specification_REV_37.pdf, https://github.com/sipcapture/HEP) and Kamailio's sender and receiver
(kamailio/kamailio src/modules/sipcapture/hep.h: `hep_ctrl`, `hep_chunk`, `HEP3_PACK_*`).
Pure: no sockets, no clock; `decode` raises `HepError` only.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from sipwarden.transport.address import Address

MAGIC = b"HEP3"
VENDOR_GENERIC = 0
AF_INET, AF_INET6 = 2, 10  # the family numbers of the specification (Linux AF_* values)
PROTO_UDP, PROTO_TCP = 17, 6
PROTO_TYPE_SIP = 1
MAX_PACKET = 0xFFFF  # the total length is a 16-bit field

IP_FAMILY, IP_PROTO = 1, 2
IPV4_SRC, IPV4_DST, IPV6_SRC, IPV6_DST = 3, 4, 5, 6
SRC_PORT, DST_PORT = 7, 8
TIME_SEC, TIME_USEC = 9, 10
PROTO_TYPE, CAPTURE_ID = 11, 12
AUTH_KEY, PAYLOAD, CORRELATION_ID = 14, 15, 17

_HEADER = struct.Struct("!4sH")
_CHUNK = struct.Struct("!HHH")
_U8, _U16, _U32 = struct.Struct("!B"), struct.Struct("!H"), struct.Struct("!I")
_STREAM_TRANSPORTS = frozenset({"TCP", "TLS", "WS", "WSS"})


class HepError(ValueError):
    """Bytes that are not a HEP v3 packet we can read, or a packet that cannot be encoded."""


@dataclass(frozen=True, slots=True)
class HepPacket:
    """One captured message and where and when it travelled."""

    source_ip: str
    source_port: int
    destination_ip: str
    destination_port: int
    seconds: int
    microseconds: int
    payload: bytes
    agent_id: int = 0
    protocol: int = PROTO_UDP
    protocol_type: int = PROTO_TYPE_SIP
    auth_key: str | None = None
    correlation_id: str | None = None

    @property
    def family(self) -> int:
        """AF_INET or AF_INET6, from the source address (both ends share a family)."""
        return AF_INET6 if ":" in self.source_ip else AF_INET


def capture_packet(
    payload: bytes,
    source: Address,
    destination: Address,
    at: float,
    agent_id: int,
    auth_key: str | None = None,
) -> HepPacket:
    """The packet for `payload` sent from `source` to `destination` at `at` (seconds since
    the epoch); the Call-ID becomes the correlation id. TLS and WS(S) count as TCP."""
    seconds = int(at)
    return HepPacket(
        source_ip=source.host,
        source_port=source.port,
        destination_ip=destination.host,
        destination_port=destination.port,
        seconds=seconds,
        microseconds=min(round((at - seconds) * 1_000_000), 999_999),
        payload=payload,
        agent_id=agent_id,
        protocol=PROTO_TCP if source.transport.upper() in _STREAM_TRANSPORTS else PROTO_UDP,
        auth_key=auth_key,
        correlation_id=call_id_of(payload),
    )


def encode(packet: HepPacket) -> bytes:
    """The HEP v3 bytes of `packet`; HepError when the addresses or sizes do not fit."""
    chunks = [
        _chunk(IP_FAMILY, _U8.pack(packet.family)),
        _chunk(IP_PROTO, _U8.pack(packet.protocol)),
        *_addresses(packet),
        _chunk(SRC_PORT, _U16.pack(packet.source_port)),
        _chunk(DST_PORT, _U16.pack(packet.destination_port)),
        _chunk(TIME_SEC, _U32.pack(packet.seconds)),
        _chunk(TIME_USEC, _U32.pack(packet.microseconds)),
        _chunk(PROTO_TYPE, _U8.pack(packet.protocol_type)),
        _chunk(CAPTURE_ID, _U32.pack(packet.agent_id)),
    ]
    if packet.auth_key is not None:
        chunks.append(_chunk(AUTH_KEY, packet.auth_key.encode()))
    if packet.correlation_id is not None:
        chunks.append(_chunk(CORRELATION_ID, packet.correlation_id.encode()))
    chunks.append(_chunk(PAYLOAD, packet.payload))
    body = b"".join(chunks)
    total = _HEADER.size + len(body)
    if total > MAX_PACKET:
        raise HepError(f"packet of {total} bytes exceeds the 16-bit HEP length")
    return _HEADER.pack(MAGIC, total) + body


def _chunk(type_id: int, value: bytes) -> bytes:
    length = _CHUNK.size + len(value)
    if length > MAX_PACKET:
        raise HepError(f"chunk {type_id} of {length} bytes exceeds the 16-bit chunk length")
    return _CHUNK.pack(VENDOR_GENERIC, type_id, length) + value


def _addresses(packet: HepPacket) -> list[bytes]:
    try:
        source = ipaddress.ip_address(packet.source_ip)
        destination = ipaddress.ip_address(packet.destination_ip)
    except ValueError as exc:
        raise HepError(str(exc)) from None
    if source.version != destination.version:
        raise HepError(f"mixed address families: {source} -> {destination}")
    if source.version == 4:
        return [_chunk(IPV4_SRC, source.packed), _chunk(IPV4_DST, destination.packed)]
    return [_chunk(IPV6_SRC, source.packed), _chunk(IPV6_DST, destination.packed)]


def decode(data: bytes) -> HepPacket:
    """Read one HEP v3 packet (generic chunks; other vendors' chunks are skipped)."""
    values = _chunks(data)
    try:
        family = _U8.unpack(values[IP_FAMILY])[0]
        ips = (IPV4_SRC, IPV4_DST) if family == AF_INET else (IPV6_SRC, IPV6_DST)
        return HepPacket(
            source_ip=str(ipaddress.ip_address(values[ips[0]])),
            source_port=_U16.unpack(values[SRC_PORT])[0],
            destination_ip=str(ipaddress.ip_address(values[ips[1]])),
            destination_port=_U16.unpack(values[DST_PORT])[0],
            seconds=_U32.unpack(values[TIME_SEC])[0],
            microseconds=_U32.unpack(values[TIME_USEC])[0],
            payload=values[PAYLOAD],
            agent_id=_U32.unpack(values[CAPTURE_ID])[0],
            protocol=_U8.unpack(values[IP_PROTO])[0],
            protocol_type=_U8.unpack(values[PROTO_TYPE])[0],
            auth_key=_text(values.get(AUTH_KEY)),
            correlation_id=_text(values.get(CORRELATION_ID)),
        )
    except KeyError as exc:
        raise HepError(f"missing chunk type {exc.args[0]}") from None
    except (struct.error, ValueError) as exc:
        raise HepError(f"bad chunk value: {exc}") from None


def _chunks(data: bytes) -> dict[int, bytes]:
    if len(data) < _HEADER.size:
        raise HepError("shorter than the HEP3 header")
    magic, total = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise HepError(f"not HEP3 (starts with {magic!r})")
    if total != len(data):
        raise HepError(f"length field says {total} bytes, got {len(data)}")
    values: dict[int, bytes] = {}
    offset = _HEADER.size
    while offset < total:
        if total - offset < _CHUNK.size:
            raise HepError(f"truncated chunk header at byte {offset}")
        vendor, type_id, length = _CHUNK.unpack_from(data, offset)
        if length < _CHUNK.size or offset + length > total:
            raise HepError(f"bad chunk length {length} at byte {offset}")
        if vendor == VENDOR_GENERIC:
            values[type_id] = data[offset + _CHUNK.size : offset + length]
        offset += length
    return values


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


def call_id_of(message: bytes) -> str | None:
    """The Call-ID (or compact `i`) header value of a SIP message, without parsing it all."""
    end = message.find(b"\r\n\r\n")
    head = message if end < 0 else message[:end]
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"call-id", b"i"):
            return value.strip().decode("utf-8", "replace") or None
    return None
