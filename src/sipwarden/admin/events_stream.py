"""`GET /api/events`: the event bus as Server-Sent Events (text/event-stream).

How this works: each open stream subscribes a callback to the bus that appends to a bounded
deque and wakes the writer; a slow reader loses the oldest events (counted and reported as an
`event: missed` message), never the server's memory. Each event is one message, `id:` its
bus sequence number, `event: <kind>`, `data:` its JSON. A comment line every `keepalive`
seconds keeps proxies from closing an idle stream. On application shutdown every stream ends.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque

from aiohttp import web

from sipwarden.observe.events import Event, EventBus

QUEUE = 500


class _Open:
    """The streams open on one application (ended on shutdown)."""

    def __init__(self) -> None:
        self.streams: set[_Stream] = set()


STREAMS = web.AppKey("event_streams", _Open)


class _Stream:
    def __init__(self, bus: EventBus) -> None:
        self.pending: deque[tuple[int, Event]] = deque(maxlen=QUEUE)
        self.wake = asyncio.Event()
        self.closing = False
        self.missed = 0
        self._bus = bus

    def __call__(self, event: Event) -> None:
        if len(self.pending) == QUEUE:
            self.missed += 1
        self.pending.append((self._bus.last_id, event))
        self.wake.set()

    def close(self) -> None:
        self.closing = True
        self.wake.set()


def _message(seq: int, event: Event) -> bytes:
    data = json.dumps(event.to_json(), separators=(",", ":"), default=str)
    return f"id: {seq}\nevent: {event.kind}\ndata: {data}\n\n".encode()


async def stream(
    request: web.Request, bus: EventBus, backlog: int, keepalive: float
) -> web.StreamResponse:
    """Send `backlog` recent events, then every new one until the client or server leaves."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    state = _Stream(bus)
    streams = request.app[STREAMS].streams
    streams.add(state)
    unsubscribe = bus.subscribe(state)
    try:
        await response.write(b"retry: 3000\n\n")
        for seq, event in bus.recent_with_ids(backlog):
            await response.write(_message(seq, event))
        await _pump(response, state, keepalive)
    except ConnectionResetError:
        pass  # the client went away
    finally:
        unsubscribe()
        streams.discard(state)
    return response


async def _pump(response: web.StreamResponse, state: _Stream, keepalive: float) -> None:
    while not state.closing:
        try:
            async with asyncio.timeout(keepalive):
                await state.wake.wait()
        except TimeoutError:
            await response.write(b": keepalive\n\n")
            continue
        state.wake.clear()
        if state.missed:
            await response.write(f"event: missed\ndata: {state.missed}\n\n".encode())
            state.missed = 0
        while state.pending:
            await response.write(_message(*state.pending.popleft()))


async def _close_all(app: web.Application) -> None:
    for state in list(app[STREAMS].streams):
        state.close()


def install(app: web.Application) -> None:
    """Track the open streams and end them when the application shuts down."""
    app[STREAMS] = _Open()
    app.on_shutdown.append(_close_all)
