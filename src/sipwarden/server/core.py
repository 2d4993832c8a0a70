"""The transaction user of `sipwarden run`: which request gets which answer.

- REGISTER for a served domain goes to the registrar (RFC 3261 §10.3) through digest auth.
- OPTIONS addressed to the proxy itself (a local Request-URI without a user part, no Route)
  is answered 200 with what the proxy supports (RFC 3261 §11.2).
- Every other request is proxied (RFC 3261 §16, `sipwarden.server.proxying`); its ACKs for
  2xx and stray 2xx retransmissions are routed without a transaction (§16.11).

Answers that need a store are computed in a task; a store failure becomes 503 with
Retry-After (RFC 3261 §21.5.4) and a logged error, never a lost transaction.

A proxied request is handled at once, without a task, when the proxy says its stores answer
without suspending (`inline`: the embedded SQLite stores, whose `async` methods never wait):
the coroutine is stepped by hand and, should it suspend after all, the rest of it runs in a
task (`_Rest`) exactly as if it had been one from the start. With Redis or PostgreSQL every
request gets its task first (their clients need one: `asyncio.timeout` asks for the current
task).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, Protocol

from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.locality import Locality
from sipwarden.sip import Request, Response, SipUri, Uri, build_response
from sipwarden.storage.errors import StoreUnavailable
from sipwarden.transaction import InviteServerTransaction
from sipwarden.transport.address import Received

log = logging.getLogger(__name__)

ALLOW = (
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, PRACK, UPDATE, INFO, REFER, SUBSCRIBE, NOTIFY, "
    "MESSAGE"
)
ACCEPT = "application/sdp"
SUPPORTED = "path"
RETRY_AFTER = "5"

Answer = Callable[[Request, Received], Awaitable[Response]]


class ServerCore:
    """Answers each new request through the dispatcher; keeps its tasks until they finish."""

    def __init__(
        self, dispatcher: Dispatcher, locality: Locality, register: Answer, proxy: Proxying
    ) -> None:
        self.dispatcher = dispatcher
        self.locality = locality
        self.register = register
        self.proxy = proxy
        self._tasks: set[asyncio.Task[None]] = set()

    def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        method = request.method
        if method == "REGISTER" and self.locality.is_local(request.uri):
            self._spawn(self._answer_async(self.register, request, received, transaction))
        elif method == "OPTIONS" and self._to_self(request.uri) and not request.routes:
            self.dispatcher.respond(transaction, self.options_reply(request))
        elif getattr(self.proxy, "inline", False):
            self._run_now(self._proxy(request, received, transaction))
        else:
            self._spawn(self._proxy(request, received, transaction))

    def _to_self(self, uri: Uri) -> bool:
        """A Request-URI for the proxy itself: ours, without a user part (§11.2)."""
        return isinstance(uri, SipUri) and uri.user is None and self.locality.is_local(uri)

    async def _proxy(self, request: Request, received: Received, transaction: ServerTx) -> None:
        try:
            await self.proxy.handle(request, received, transaction)
        except StoreUnavailable as exc:  # expected during an outage: one line, no traceback
            log.warning("503 to %s from %s: %s", request.method, received.source, exc)
            self.dispatcher.respond(transaction, _unavailable(request, exc.retry_after))
        except Exception:
            log.exception("store failure proxying %s from %s", request.method, received.source)
            self.dispatcher.respond(transaction, _unavailable(request))

    def cancelled(self, transaction: InviteServerTransaction) -> bool:
        return self.proxy.cancelled(transaction)

    def handle_ack(self, ack: Request, received: Received) -> None:
        self.proxy.handle_ack(ack, received)

    def handle_stray(self, response: Response, received: Received) -> None:
        self.proxy.handle_stray(response, received)

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
        except StoreUnavailable as exc:
            log.warning("503 to %s from %s: %s", request.method, received.source, exc)
            response = _unavailable(request, exc.retry_after)
        except Exception:
            log.exception("store failure answering %s from %s", request.method, received.source)
            response = _unavailable(request)
        self.dispatcher.respond(transaction, response)

    def _run_now(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run `coroutine` as far as it goes now; the rest, if it suspends, in a task."""
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return
        self._spawn(_Rest(coroutine, waiting))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the answers in progress (clean shutdown: nothing half-written)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class _Rest:
    """The rest of a coroutine that suspended outside a task, awaitable in a new task: the
    task waits on what the coroutine yielded, then drives it on as `await` would (values sent
    in, exceptions such as a cancellation thrown in where it waits)."""

    __slots__ = ("coroutine", "waiting")

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting: Any) -> None:
        self.coroutine = coroutine
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        coroutine, waiting = self.coroutine, self.waiting
        while True:
            try:
                sent = yield waiting
            except BaseException as exc:  # delivered where the coroutine waits
                try:
                    waiting = coroutine.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting = coroutine.send(sent)
                except StopIteration:
                    return


def _unavailable(request: Request, retry_after: int | None = None) -> Response:
    """RFC 3261 §21.5.4: 503 with Retry-After, for a failure of ours (a store, say)."""
    after = RETRY_AFTER if retry_after is None else str(retry_after)
    return build_response(request, 503, "Service Unavailable", headers=[("Retry-After", after)])


class Proxying(Protocol):
    """What the core hands to the proxy (sipwarden.server.proxying.Proxy)."""

    async def handle(self, request: Request, received: Received, transaction: ServerTx) -> None: ...

    def cancelled(self, transaction: InviteServerTransaction) -> bool: ...

    def handle_ack(self, ack: Request, received: Received) -> None: ...

    def handle_stray(self, response: Response, received: Received) -> None: ...
