"""Challenge aggregation, RFC 3261 §16.7 step 7.

"If the selected response is a 401 or 407, the proxy MUST collect all Proxy-Authenticate and
WWW-Authenticate header field values from all other 401 and 407 responses received so far in
this response context and add them to this response without modification." A 407 is chosen
over a 401 when both exist: the caller must answer the proxy challenge to get anywhere.
"""

from __future__ import annotations

from sipwarden.proxy.best import Candidate
from sipwarden.proxy.copying import copy_response
from sipwarden.sip import Response

CHALLENGES = ("WWW-Authenticate", "Proxy-Authenticate")


def aggregate(candidates: list[Candidate]) -> Response | None:
    """The aggregated challenge, or None when no 401/407 is among `candidates`."""
    challenges = [c for c in candidates if c.response.status in (401, 407)]
    if not challenges:
        return None
    challenges.sort(key=lambda c: (c.response.status != 407, c.order))
    base = copy_response(challenges[0].response)
    for other in challenges[1:]:
        for name in CHALLENGES:
            for value in other.response.header_lines(name):
                base.add_header(name, value)
    return base
