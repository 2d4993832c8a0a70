#!/usr/bin/env python3
"""A minimal OPTIONS responder on sipwarden's UDP adapter and transaction layer (benchmarks).

Every request gets a non-INVITE server transaction (RFC 3261 §17.2.2), so retransmissions are
absorbed and Timer J runs, as in the proxy; OPTIONS is answered 200, anything else 501.
Usage: python benchmarks/options/responder.py [udp:127.0.0.1:15060] [uvloop|asyncio]
"""

from __future__ import annotations

import asyncio
import sys
import time

from sipwarden.sip import Request, build_response
from sipwarden.transaction import TransactionTable, server_transaction
from sipwarden.transaction.events import Send
from sipwarden.transport import Received, parse_listen, response_destination
from sipwarden.transport.inbound import Limits
from sipwarden.transport.loop import new_event_loop
from sipwarden.transport.udp import UdpTransport, start_udp


class Responder:
    def __init__(self) -> None:
        self.table = TransactionTable()
        self.udp: UdpTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def on_message(self, received: Received) -> None:
        message = received.message
        now = time.monotonic()
        if not isinstance(message, Request) or message.method == "ACK":
            return
        if self.table.receive(message, now) is None:
            transaction = server_transaction(message, reliable=False, now=now)
            self.table.add(transaction)
            status = 200 if message.method == "OPTIONS" else 501
            self.table.send_response(transaction, build_response(message, status), now)  # type: ignore[arg-type]
            self.drain(transaction)
        self.rearm()

    def drain(self, transaction: object) -> None:
        assert self.udp is not None
        while (event := transaction.next_event()) is not None:  # type: ignore[attr-defined]
            if isinstance(event, Send):
                via = transaction.request.top_via  # type: ignore[attr-defined]
                self.udp.send(event.data, response_destination(via, None, False))

    def rearm(self) -> None:
        deadline = self.table.next_deadline()
        if deadline is None or self.timer is not None:
            return
        loop = asyncio.get_running_loop()
        self.timer = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), self.fire)

    def fire(self) -> None:
        self.timer = None
        for transaction in self.table.on_timeout(time.monotonic()):
            self.drain(transaction)
        self.rearm()


async def serve(spec_text: str) -> None:
    responder = Responder()
    responder.udp = await start_udp(parse_listen(spec_text), responder.on_message, Limits())
    await asyncio.Event().wait()


if __name__ == "__main__":
    loop = asyncio.new_event_loop() if sys.argv[2:3] == ["asyncio"] else new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(serve(sys.argv[1] if len(sys.argv) > 1 else "udp:127.0.0.1:15060"))
