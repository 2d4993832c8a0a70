"""Choosing the best response, RFC 3261 §16.7 step 6.

Any 6xx wins; otherwise the lowest class. Within a class, 4xx prefers 401/407 (challenges,
aggregated by aggregate.py), 415, 420 and 484 as step 6 suggests; then responses a downstream
element sent over ones we made up (408 for a timeout, 503 for a transport error); then the
first received. A chosen 503 becomes 500 (step 6: a 503 means "this server", not "the
destination", and would make the caller's proxies avoid us).
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.sip import Request, Response, build_response
from sipwarden.value import Value

PREFERRED_4XX = (401, 407, 415, 420, 484)


class Candidate(Value):
    """A final response kept in the context (already without our Via); `local` when we made
    it up instead of receiving it."""

    # A Value, not a dataclass: one is made per final response (see sipwarden/value.py).
    __slots__ = ("local", "order", "response")
    _names: ClassVar[tuple[str, ...]] = ("response", "local", "order")

    def __init__(self, response: Response, local: bool, order: int) -> None:
        self.response: Final = response
        self.local: Final = local
        self.order: Final = order

    def _fields(self) -> tuple[object, ...]:
        return (self.response, self.local, self.order)


def _rank(candidate: Candidate) -> tuple[int, int, int, int]:
    status = candidate.response.status
    klass = 0 if status >= 600 else status // 100
    preferred = status in PREFERRED_4XX
    pref = (0 if status in (401, 407) else PREFERRED_4XX.index(status)) if preferred else 9
    return (klass, pref, int(candidate.local), candidate.order)


def choose(candidates: list[Candidate]) -> Candidate:
    """The §16.7 step 6 choice (`candidates` must not be empty)."""
    return min(candidates, key=_rank)


def without_503(request: Request, response: Response) -> Response:
    """§16.7 step 6: a 503 is not forwarded; a 500 goes up instead."""
    if response.status != 503:
        return response
    return build_response(request, 500, "Server Internal Error")


def no_response(request: Request) -> Response:
    """§16.7 step 6: "If no final responses have been received, the proxy MUST send a 408"."""
    return build_response(request, 408, "Request Timeout")
