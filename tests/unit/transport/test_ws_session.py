"""The pure WebSocket session (RFC 6455, RFC 7118) against an in-memory wsproto client.

No sockets and no sleeps: time is the `now` argument.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from sipwarden.transport.connections import ConnectionLimits
from sipwarden.transport.ws_session import WsDrop, WsEvent, WsMessage, WsOpened, WsSession
from tests.property.sipgen import budget

LIMITS = ConnectionLimits(idle_timeout=30.0, message_timeout=5.0)
SIP = "OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"


class Pair:
    """A server session and a wsproto client wired back to back."""

    def __init__(self, max_size: int = 1000, now: float = 100.0) -> None:
        self.session = WsSession(max_size, LIMITS, now)
        self.client = WSConnection(ConnectionType.CLIENT)

    def to_server(self, event: Event, now: float = 100.0) -> list[WsEvent]:
        return self.raw(self.client.send(event), now)

    def raw(self, data: bytes | None, now: float = 100.0) -> list[WsEvent]:
        self.session.receive_data(data, now)
        events = []
        while (event := self.session.next_event()) is not None:
            events.append(event)
        return events

    def to_client(self) -> list[Event]:
        self.client.receive_data(self.session.data_to_send())
        return list(self.client.events())


def opened(max_size: int = 1000) -> Pair:
    pair = Pair(max_size)
    assert pair.to_server(Request(host="example.com", target="/ws", subprotocols=["sip"])) == [
        WsOpened("/ws")
    ]
    [accept] = pair.to_client()
    assert isinstance(accept, AcceptConnection) and accept.subprotocol == "sip"
    return pair


def test_upgrade_with_sip_is_accepted() -> None:
    pair = opened()
    assert pair.session.open and not pair.session.finished
    assert pair.session.next_deadline() == 100.0 + LIMITS.idle_timeout


def test_upgrade_without_sip_gets_400_and_hang_up() -> None:
    pair = Pair()
    [drop] = pair.to_server(Request(host="example.com", target="/", subprotocols=["chat"]))
    assert drop == WsDrop("ws_no_sip_subprotocol", "subprotocols offered: chat")
    reject, *body = pair.to_client()
    assert isinstance(reject, RejectConnection) and reject.status_code == 400
    assert b"RFC 7118" in b"".join(e.data for e in body if isinstance(e, RejectData))
    assert pair.session.finished and not pair.session.open
    assert pair.session.next_deadline() is None


def test_not_http_gets_400() -> None:
    pair = Pair()
    [drop] = pair.raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert drop.reason == "ws_handshake_invalid" and "Upgrade" in drop.detail  # type: ignore[union-attr]
    assert pair.session.data_to_send().startswith(b"HTTP/1.1 400 ")
    assert pair.session.finished
    assert pair.raw(b"more") == []  # ignored once finished


def test_unparseable_http_hangs_up() -> None:
    pair = Pair()
    [drop] = pair.raw(b"\x16\x03\x01\x02\x00 tls hello\r\n\r\n")
    assert isinstance(drop, WsDrop) and drop.reason == "ws_handshake_invalid"
    assert pair.session.finished


def test_handshake_must_finish_within_message_timeout() -> None:
    pair = Pair()
    assert pair.raw(b"GET / HTTP/1.1\r\n") == []
    assert pair.session.next_deadline() == 100.0 + LIMITS.message_timeout
    pair.session.on_timeout(104.0)
    assert not pair.session.finished
    pair.session.on_timeout(105.0)
    assert pair.session.next_event() == WsDrop("message_timeout", "no whole message within 5.0 s")
    assert pair.raw(None) == []  # already finished: the end of the stream changes nothing
    assert pair.session.finished and pair.session.data_to_send() == b""


def test_stream_ending_during_handshake_is_counted() -> None:
    pair = Pair()
    [drop] = pair.raw(None)
    assert isinstance(drop, WsDrop) and drop.reason == "ws_handshake_incomplete"


def test_text_binary_and_fragmented_messages() -> None:
    pair = opened()
    assert pair.to_server(TextMessage(SIP)) == [WsMessage(SIP.encode())]
    assert pair.to_server(BytesMessage(b"\xffbin")) == [WsMessage(b"\xffbin")]
    assert pair.to_server(TextMessage("OPTIONS é", message_finished=False)) == []
    assert pair.to_server(TextMessage(" rest")) == [WsMessage("OPTIONS é rest".encode())]


def test_message_of_exactly_max_size_passes_one_more_byte_closes_1009() -> None:
    pair = opened(max_size=100)
    assert pair.to_server(BytesMessage(b"a" * 100)) == [WsMessage(b"a" * 100)]
    assert pair.to_server(BytesMessage(b"a" * 60, message_finished=False)) == []
    [drop] = pair.to_server(BytesMessage(b"a" * 41, message_finished=False))
    assert drop == WsDrop("ws_message_too_big", "message over 100 bytes")
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection) and close.code == 1009
    assert pair.session.finished


def test_send_message_frames_text_or_binary() -> None:
    pair = opened()
    assert pair.session.send_message(SIP.encode())
    assert pair.session.send_message(b"\xff\xfe")
    text, binary = pair.to_client()
    assert isinstance(text, TextMessage) and text.data == SIP
    assert isinstance(binary, BytesMessage) and binary.data == b"\xff\xfe"


def test_send_before_open_is_refused() -> None:
    pair = Pair()
    assert not pair.session.send_message(b"x")
    assert pair.session.data_to_send() == b""


def test_ping_is_answered_and_counts_as_activity() -> None:
    pair = opened()
    assert pair.to_server(Ping(b"hi"), now=120.0) == []
    assert pair.to_client() == [Pong(b"hi")]
    assert pair.session.next_deadline() == 120.0 + LIMITS.idle_timeout
    assert pair.to_server(Pong(b"unsolicited"), now=125.0) == []  # RFC 6455 §5.5.3: allowed
    assert pair.session.next_deadline() == 125.0 + LIMITS.idle_timeout


def test_peer_close_is_echoed_then_hang_up() -> None:
    pair = opened()
    assert pair.to_server(CloseConnection(1000, "bye")) == []
    [echo] = pair.to_client()
    assert isinstance(echo, CloseConnection) and echo.code == 1000
    assert pair.session.finished and not pair.session.send_message(b"late")


def test_our_close_waits_for_the_reply() -> None:
    pair = opened()
    pair.session.close(110.0)
    assert not pair.session.open and not pair.session.finished
    assert pair.session.next_deadline() == 110.0 + LIMITS.message_timeout
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection)
    assert pair.to_server(close.response()) == []
    assert pair.session.finished
    pair.session.close(120.0)  # closing again changes nothing
    assert pair.session.data_to_send() == b"" and pair.session.next_deadline() is None


def test_our_close_gives_up_without_a_reply() -> None:
    pair = opened()
    pair.session.close(110.0)
    pair.session.on_timeout(115.0)
    assert pair.session.next_event() == WsDrop(
        "ws_close_timeout", "no Close frame in reply (RFC 6455 §7.1.1)"
    )
    assert pair.session.finished


def test_data_after_our_close_is_dropped() -> None:
    pair = opened()
    pair.session.close(110.0)
    assert pair.to_server(TextMessage(SIP)) == [
        WsDrop("ws_data_after_close", "data message after a Close frame (RFC 6455 §5.5.1)")
    ]


def test_idle_connection_is_closed_with_1000() -> None:
    pair = opened()
    pair.session.on_timeout(129.0)
    assert pair.session.next_event() is None
    pair.session.on_timeout(130.0)
    assert pair.session.next_event() == WsDrop("idle_timeout", "no whole message within 30.0 s")
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection) and close.code == 1000


def test_trickled_message_is_closed_with_1008() -> None:
    pair = opened()
    pair.to_server(TextMessage("OPT", message_finished=False), now=101.0)
    assert pair.session.next_deadline() == 101.0 + LIMITS.message_timeout
    pair.session.on_timeout(106.0)
    assert pair.session.next_event() == WsDrop("message_timeout", "no whole message within 5.0 s")
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection) and close.code == 1008


def test_stream_end_mid_message_is_counted() -> None:
    pair = opened()
    pair.to_server(TextMessage("OPTIONS", message_finished=False))
    assert pair.raw(None) == [WsDrop("closed_mid_message", "7 bytes of a message lost")]
    assert pair.session.finished


def test_stream_end_between_messages_is_quiet() -> None:
    pair = opened()
    assert pair.raw(None) == []
    assert pair.session.finished


def test_unmasked_frame_fails_with_1002() -> None:
    pair = opened()
    [drop] = pair.raw(b"\x81\x02hi")
    assert isinstance(drop, WsDrop) and drop.reason == "ws_protocol_error"
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection) and close.code == 1002
    assert pair.session.finished


def test_invalid_utf8_text_fails_with_1007() -> None:
    pair = opened()
    [drop] = pair.raw(b"\x81\x82\x00\x00\x00\x00\xff\xfe")
    assert isinstance(drop, WsDrop) and drop.reason == "ws_protocol_error"
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection) and close.code == 1007


def test_going_away_sends_1001_and_finishes() -> None:
    pair = opened()
    pair.session.going_away()
    [close] = pair.to_client()
    assert isinstance(close, CloseConnection) and close.code == 1001
    assert pair.session.finished and pair.client.state is ConnectionState.REMOTE_CLOSING


def test_every_refused_upgrade_gets_an_http_answer() -> None:
    requests = [
        b"POST / HTTP/1.1\r\nHost: x\r\n\r\n",  # not GET
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 20000 + b"\r\n\r\n",  # over h11's 16 KiB
        b"\x00" * 100,
    ]
    for request in requests:
        pair = Pair()
        [drop] = pair.raw(request)
        assert isinstance(drop, WsDrop) and drop.reason == "ws_handshake_invalid"
        assert pair.session.data_to_send().startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 426 "))
        assert pair.session.finished


@settings(max_examples=budget(200))
@given(st.lists(st.binary(max_size=300), max_size=6), st.booleans())
def test_hostile_bytes_only_make_events(chunks: list[bytes], upgraded: bool) -> None:
    """Whatever a peer sends, the session raises nothing and stays within its limits."""
    pair = opened(max_size=200) if upgraded else Pair(max_size=200)
    for chunk in chunks:
        for event in pair.raw(chunk):
            assert not isinstance(event, WsMessage) or len(event.data) <= 200
        pair.session.data_to_send()
    pair.raw(None)
    assert pair.session.finished and pair.session.next_deadline() is None
