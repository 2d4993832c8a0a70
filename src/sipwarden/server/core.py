"""The transaction user of `sipwarden run`: which request gets which answer.

- REGISTER goes to the registrar (RFC 3261 §10.3) through digest authentication.
- OPTIONS addressed to the proxy itself (a local Request-URI without a user part) is answered
  200 with what the proxy supports (RFC 3261 §11.2).
- Every other request would be proxied (RFC 3261 §16), which arrives with issue #5; until then
  it is answered 501 Not Implemented, the §21.5.2 answer for a method or function the server
  does not support, so a caller is told at once instead of timing out.

Answers that need a store are computed in a task; a store failure becomes 503 with
Retry-After (RFC 3261 §21.5.4) and a logged error, never a lost transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.locality import Locality
from sipwarden.sip import Request, Response, SipUri, build_response
from sipwarden.transaction import InviteServerTransaction
from sipwarden.transport.address import Received

log = logging.getLogger(__name__)

ALLOW = "REGISTER, OPTIONS, ACK, CANCEL"
ACCEPT = "application/sdp"
SUPPORTED = "path"
RETRY_AFTER = "5"

Answer = Callable[[Request, Received], Awaitable[Response]]


class ServerCore:
    """Answers each new request through the dispatcher; keeps its tasks until they finish."""

    def __init__(self, dispatcher: Dispatcher, locality: Locality, register: Answer) -> None:
        self.dispatcher = dispatcher
        self.locality = locality
        self.register = register
        self._tasks: set[asyncio.Task[None]] = set()

    def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        if request.method == "REGISTER":
            self._spawn(self._answer_async(self.register, request, received, transaction))
        else:
            self.dispatcher.respond(transaction, self._answer_now(request))

    def cancelled(self, transaction: InviteServerTransaction) -> bool:
        """Nothing is forwarded yet, so the dispatcher answers the INVITE with 487."""
        return False

    def handle_ack(self, ack: Request, received: Received) -> None:
        self.dispatcher.counters.count("ack_without_transaction")

    def handle_stray(self, response: Response, received: Received) -> None:
        self.dispatcher.counters.count("stray_response")

    def _answer_now(self, request: Request) -> Response:
        uri = request.uri
        to_self = isinstance(uri, SipUri) and uri.user is None and self.locality.is_local(uri)
        if request.method == "OPTIONS" and to_self:
            return self.options_reply(request)
        return build_response(request, 501, "Not Implemented", headers=[("Allow", ALLOW)])

    @staticmethod
    def options_reply(request: Request) -> Response:
        """RFC 3261 §11.2: 200 listing Allow, Accept and Supported."""
        headers = [("Allow", ALLOW), ("Accept", ACCEPT), ("Supported", SUPPORTED)]
        return build_response(request, 200, headers=headers)

    async def _answer_async(
        self, answer: Answer, request: Request, received: Received, transaction: ServerTx
    ) -> None:
        try:
            response = await answer(request, received)
        except Exception:
            log.exception("store failure answering %s from %s", request.method, received.source)
            response = build_response(
                request, 503, "Service Unavailable", headers=[("Retry-After", RETRY_AFTER)]
            )
        self.dispatcher.respond(transaction, response)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the answers in progress (clean shutdown: nothing half-written)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
