"""The glue between SIP messages and the `CallTracker`: one-line hooks for the server.

How this works: `CdrRecorder` takes the messages the server already has at hand (the INVITE it
forwards, the response it sends upstream, the CANCEL, the BYE), reads the Call-ID, URIs and tags
from them, feeds the tracker with the wall-clock time and hands every finished `Cdr` to `write`
(the server's `CdrBuffer.write`, which writes them in batches, or a test's list.append). Only
initial INVITEs (no To tag, RFC 3261 §12.1) open an attempt; a re-INVITE in a dialog never
does. Pure: the clock is passed in.
"""

from __future__ import annotations

from collections.abc import Callable

from sipwarden.errors import ParseError
from sipwarden.observe.cdr import CallTracker, Cdr
from sipwarden.sip import Request, Response
from sipwarden.transport.address import Address


class CdrRecorder:
    """Feeds a `CallTracker` from SIP messages; finished records go to `write`."""

    def __init__(
        self,
        tracker: CallTracker,
        write: Callable[[Cdr], None],
        wallclock: Callable[[], float],
    ) -> None:
        self.tracker = tracker
        self.write = write
        self.wallclock = wallclock

    def invite(self, request: Request, source: Address) -> None:
        """An initial INVITE is being forwarded (or answered by us) from `source`."""
        try:
            if request.method != "INVITE" or request.to.tag is not None:
                return
            from_, to = request.from_, request.to
            call_id = request.call_id
        except ParseError:
            return
        self.tracker.invite(
            call_id, from_.uri_text, to.uri_text, str(source), self.wallclock(), from_.tag or ""
        )

    def response(self, request: Request, response: Response) -> None:
        """A response to `request` went upstream: a 2xx answers, a final non-2xx ends it."""
        if request.method != "INVITE" or response.status < 200:
            return
        call_id, now = request.call_id, self.wallclock()
        if response.status < 300:
            self.tracker.answered(call_id, now)
        else:
            self._emit(self.tracker.failed(call_id, response.status, response.reason, now))

    def cancel(self, call_id: str) -> None:
        """The caller's CANCEL matched the INVITE of `call_id`."""
        self.tracker.cancel(call_id, self.wallclock())

    def bye(self, request: Request) -> None:
        """A BYE of a dialog: the side whose From tag it carries hung up."""
        try:
            call_id, tag = request.call_id, request.from_.tag or ""
        except ParseError:
            return
        by = self.tracker.side(call_id, tag)
        self._emit(self.tracker.bye(call_id, by, self.wallclock()))

    def next_deadline(self) -> float | None:
        """Wall-clock time `on_timeout` next has work (None: nothing tracked)."""
        return self.tracker.next_deadline()

    def on_timeout(self) -> None:
        for cdr in self.tracker.timeout(self.wallclock()):
            self.write(cdr)

    def _emit(self, cdr: Cdr | None) -> None:
        if cdr is not None:
            self.write(cdr)
