"""The worker handoff (docs/workers.md): header encode/decode, the `.w<K>` branch mark, the
loop check reading only the hash, and the dispatcher passing a response on to its worker."""

from __future__ import annotations

import asyncio

import pytest

from sipwarden.proxy import Target, branch_for, forward_copy, is_loop, preprocess
from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.loop import PREFIX, with_worker, worker_of
from sipwarden.server.dispatcher import Dispatcher
from sipwarden.server.handoff import MAX_DATAGRAM, Handoff, HandoffError, decode, encode
from sipwarden.sip import Response, parse_datagram
from sipwarden.transaction import TimerConfig
from sipwarden.transport.address import Address, Destination, Received
from tests.unit.proxy.helpers import UDP4, identity, parse_request

SIP = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"
PEER = Address("UDP", "192.0.2.1", 5062)
LOCAL = Address("UDP", "192.0.2.10", 5060)


@pytest.mark.parametrize(
    "handoff",
    [
        Handoff("recv", SIP, PEER, LOCAL),
        Handoff("recv", SIP, Address("TCP", "2001:db8::1", 40000), Address("TCP", "::", 5060)),
        Handoff("send", SIP, Address("WSS", "198.51.100.7", 51234)),
        Handoff("fail", SIP),
        Handoff("recv", b"", PEER, LOCAL),
    ],
)
def test_a_handoff_decodes_to_what_was_encoded(handoff: Handoff) -> None:
    assert decode(encode(handoff)) == handoff


def test_the_header_is_one_text_line_before_the_raw_bytes() -> None:
    datagram = encode(Handoff("send", SIP, Address("TCP", "192.0.2.1", 5070)))
    assert datagram == b"send TCP 192.0.2.1 5070\n" + SIP


@pytest.mark.parametrize(
    "datagram",
    [
        b"recv UDP 192.0.2.1 5062 192.0.2.10 5060",  # no newline
        b"hello UDP 192.0.2.1 5062\n",
        b"send UDP 192.0.2.1\n",
        b"send UDP 192.0.2.1 port\n",
        b"recv UDP 192.0.2.1 5062 192.0.2.10 x\n",
        b"fail UDP\n",
        b"",
    ],
)
def test_a_malformed_handoff_is_refused(datagram: bytes) -> None:
    with pytest.raises(HandoffError):
        decode(datagram)


def test_what_does_not_fit_in_one_datagram_is_refused() -> None:
    with pytest.raises(HandoffError):
        encode(Handoff("send", b"x" * MAX_DATAGRAM, PEER))


def test_a_branch_names_its_worker_at_the_end() -> None:
    branch = f"{PREFIX}0123456789abcdef.2"
    assert with_worker(branch, None) == branch
    assert with_worker(branch, 3) == f"{branch}.w3"
    assert worker_of(with_worker(branch, 3)) == 3
    assert worker_of(with_worker(f"{branch}.1", 0)) == 0  # an RFC 3263 retry, worker 0
    assert worker_of(f"{PREFIX}probe0a1b2c.w1") == 1


@pytest.mark.parametrize(
    "branch",
    [None, "", f"{PREFIX}0123.0", "z9hG4bKother.w1", f"{PREFIX}0123.0.wx", f"{PREFIX}0123.w"],
)
def test_other_branches_name_no_worker(branch: str | None) -> None:
    assert worker_of(branch) is None


def test_the_loop_check_still_reads_the_hash_of_a_marked_branch() -> None:
    me = identity()
    request = parse_request(
        "INVITE sip:bob@foreign.example SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKc1\n"
        "Max-Forwards: 70\nFrom: <sip:alice@proxy.example.com>;tag=f1\n"
        "To: <sip:bob@foreign.example>\nCall-ID: loop-1\nCSeq: 1 INVITE\n"
        "Content-Length: 0\n\n"
    )
    branch = with_worker(branch_for(request, me, 0), 1)
    copy = forward_copy(
        preprocess(request, me), Target("sip:bob@foreign.example"), me, ProxyConfig(),
        branch=branch, inbound=UDP4, outbound=UDP4,
    )  # fmt: skip
    assert copy.top_via.branch == branch
    assert is_loop(copy, me)


class _Sender:
    def send(self, data: bytes, destination: Destination) -> None:
        raise AssertionError("nothing is sent")

    def is_open(self, connection: int) -> bool:
        return False


def _response(branch: str) -> Received:
    text = (
        f"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n"
        "From: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>;tag=t1\r\n"
        "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse_datagram(text.encode())
    assert isinstance(message, Response)
    return Received(message, PEER, LOCAL)


def test_a_response_for_another_worker_is_handed_to_it_before_the_table() -> None:
    async def main() -> None:
        dispatcher = Dispatcher(_Sender(), TimerConfig())
        handed: list[tuple[int, Received]] = []
        dispatcher.worker, dispatcher.handoff = 0, lambda k, r: handed.append((k, r))
        theirs, ours = _response(f"{PREFIX}abc.0.w1"), _response(f"{PREFIX}abc.0.w0")
        dispatcher.on_message(theirs)
        dispatcher.on_message(ours)  # no transaction here and no core: a stray, counted
        dispatcher.on_message(_response("z9hG4bKforeign"))
        assert handed == [(1, theirs)]
        assert dispatcher.counters.snapshot().get("stray_response") == 2
        dispatcher.close()

    asyncio.run(main())


def test_worker_0_returns_bytes_it_could_not_deliver_to_the_worker_of_the_branch() -> None:
    async def main() -> None:
        dispatcher = Dispatcher(_Sender(), TimerConfig())
        failed: list[tuple[int, bytes]] = []
        dispatcher.worker, dispatcher.handoff_failed = 0, lambda k, d: failed.append((k, d))
        data = (
            f"INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 192.0.2.10:5060;branch={PREFIX}abc.0.w1\r\n"
            "Max-Forwards: 69\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
            "To: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
        dispatcher.send_failed(data)
        dispatcher.send_failed(data.replace(b".w1", b".w0"))  # its own: no transaction, ignored
        assert failed == [(1, data)]
        dispatcher.close()

    asyncio.run(main())
