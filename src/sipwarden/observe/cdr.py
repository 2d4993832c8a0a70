"""Call detail records: one `Cdr` per call attempt, from the proxy's INVITE dialog events.

How this works: the server feeds a `CallTracker` what it sees of each call, keyed by Call-ID:
`invite` when it forwards a new INVITE, `answered` on the first 2xx sent upstream, `failed` on a
final non-2xx sent upstream, `cancel` on the caller's CANCEL, `bye` on a BYE in the dialog,
and `timeout(now)` from its timer. A finished attempt comes back as a `Cdr`:

- answered: ended by BYE (`ended_by` caller or callee) or after `max_duration` without one
  (`ended_by` "timeout", the BYE was lost); billable seconds run from answer to end,
  rounded up to whole seconds;
- not answered: the final status decides the disposition, 486/600/603 busy, 408/480 no_answer,
  487 (or a CANCEL first) cancelled, anything else failed; a 401/407 challenge is not an
  attempt (the caller retries with credentials, same Call-ID) and yields nothing;
  an attempt with no final response after `max_ring` seconds is closed as failed, 408.

Times are the caller's `now`, wall-clock seconds since the epoch. A re-INVITE or a retransmitted
INVITE of a known Call-ID changes nothing. At most `max_calls` attempts are followed at once
(a flood must not grow memory); further ones are counted in `overflow` and not recorded.
Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DISPOSITIONS = ("answered", "busy", "no_answer", "failed", "cancelled")
ENDED_BY = ("caller", "callee", "timeout", "")
BUSY = frozenset({486, 600, 603})
NO_ANSWER = frozenset({408, 480})
CHALLENGES = frozenset({401, 407})


@dataclass(frozen=True, slots=True)
class Cdr:
    """One call attempt. `answer` is None when the call was not answered; `duration` is end
    minus start in seconds; `status`/`reason` the final response (200 OK when answered)."""

    call_id: str
    caller: str
    callee: str
    source: str
    start: float
    answer: float | None
    end: float
    duration: float
    billable_seconds: int
    disposition: str
    status: int
    reason: str
    ended_by: str = ""


@dataclass(slots=True)
class _Call:
    caller: str
    callee: str
    source: str
    start: float
    from_tag: str
    answer: float | None = None
    cancelled: bool = False


class CallTracker:
    """Follows INVITE dialogs by Call-ID and returns a `Cdr` when each attempt ends."""

    def __init__(
        self, max_duration: float = 14400.0, max_ring: float = 300.0, max_calls: int = 100000
    ) -> None:
        self.max_duration = max_duration
        self.max_ring = max_ring
        self.max_calls = max_calls
        self.overflow = 0
        self._calls: dict[str, _Call] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def invite(
        self,
        call_id: str,
        from_uri: str,
        to_uri: str,
        source: str,
        now: float,
        from_tag: str = "",
    ) -> None:
        """A new INVITE was forwarded (a known Call-ID, re-INVITE or retry, is ignored)."""
        if call_id in self._calls:
            return
        if len(self._calls) >= self.max_calls:
            self.overflow += 1
            return
        self._calls[call_id] = _Call(from_uri, to_uri, source, now, from_tag)

    def answered(self, call_id: str, now: float) -> None:
        """The first 2xx went upstream: the call is up (later 2xx change nothing)."""
        call = self._calls.get(call_id)
        if call is not None and call.answer is None:
            call.answer = now

    def cancel(self, call_id: str, now: float) -> None:
        """The caller sent CANCEL: a final non-2xx that follows makes it `cancelled`."""
        call = self._calls.get(call_id)
        if call is not None and call.answer is None:
            call.cancelled = True

    def failed(self, call_id: str, status: int, reason: str, now: float) -> Cdr | None:
        """A final non-2xx went upstream: the attempt ends (not after an answer, not for a
        401/407 challenge, which the caller answers with a new INVITE of the same Call-ID)."""
        call = self._calls.get(call_id)
        if call is None or call.answer is not None:
            return None
        del self._calls[call_id]
        if status in CHALLENGES and not call.cancelled:
            return None
        return _record(call_id, call, now, _disposition(status, call.cancelled), status, reason)

    def side(self, call_id: str, from_tag: str) -> str:
        """Who sent a request with this From tag: "caller" (the INVITE's tag) or "callee"."""
        call = self._calls.get(call_id)
        return "caller" if call is None or call.from_tag == from_tag else "callee"

    def bye(self, call_id: str, by: str, now: float) -> Cdr | None:
        """A BYE in the dialog, sent by "caller" or "callee": the answered call ends."""
        call = self._calls.get(call_id)
        if call is None or call.answer is None:
            return None
        del self._calls[call_id]
        return _record(call_id, call, now, "answered", 200, "OK", by)

    def next_deadline(self) -> float | None:
        """When `timeout` next has something to close, or None."""
        return min((self._limit(call) for call in self._calls.values()), default=None)

    def timeout(self, now: float) -> list[Cdr]:
        """Close answered calls older than `max_duration` and rings older than `max_ring`."""
        done = [cid for cid, call in self._calls.items() if self._limit(call) <= now]
        return [self._expire(call_id, now) for call_id in done]

    def _limit(self, call: _Call) -> float:
        if call.answer is None:
            return call.start + self.max_ring
        return call.answer + self.max_duration

    def _expire(self, call_id: str, now: float) -> Cdr:
        call = self._calls.pop(call_id)
        if call.answer is None:
            return _record(call_id, call, now, "failed", 408, "No Final Response", "timeout")
        return _record(call_id, call, now, "answered", 200, "OK", "timeout")


def _disposition(status: int, cancelled: bool) -> str:
    if cancelled or status == 487:
        return "cancelled"
    if status in BUSY:
        return "busy"
    if status in NO_ANSWER:
        return "no_answer"
    return "failed"


def _record(
    call_id: str,
    call: _Call,
    end: float,
    disposition: str,
    status: int,
    reason: str,
    ended_by: str = "",
) -> Cdr:
    billable = 0 if call.answer is None else math.ceil(round(max(end - call.answer, 0.0), 6))
    if disposition == "cancelled":
        ended_by = "caller"
    return Cdr(
        call_id=call_id,
        caller=call.caller,
        callee=call.callee,
        source=call.source,
        start=call.start,
        answer=call.answer,
        end=end,
        duration=max(end - call.start, 0.0),
        billable_seconds=billable,
        disposition=disposition,
        status=status,
        reason=reason,
        ended_by=ended_by,
    )
