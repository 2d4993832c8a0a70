"""Redirect mode: answer a request for a local user with its contacts instead of forwarding it.

RFC 3261 §8.3: a redirect server "collects the list of alternative locations and returns a
final response of class 3xx"; §21.3.3: 302 Moved Temporarily, "the new address(es) are given
by the Contact header fields"; "the duration of the validity of the Contact URI can be
indicated through an Expires (Section 20.19) header field or an expires parameter in the
Contact header field". Each Contact carries the binding's q-value (§20.10) so the client can
try them in order, and the seconds the binding has left. With no live binding the answer is
480 Temporarily Unavailable (§21.4.18), as in proxy mode.

Forwarding in redirect mode: an unconditional (`always`) target is the only Contact, and the
`unregistered` target is the Contact when nothing is registered. Busy and no-answer forwarding
need the outcome of a call the redirect server never sees, so they do not apply.

Path and the flow a binding came in over are lost in a redirect: the caller reaches the
contact directly, which fails for a phone behind NAT (docs/forwarding.md says so).

3xx responses coming back from branches (recursion, §16.7 step 4) are handled by the proxy
core (`sipwarden.proxy.recursion`), not here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sipwarden.location.binding import Binding, sorted_bindings
from sipwarden.sip.message import Request, Response
from sipwarden.sip.response import build_response

if TYPE_CHECKING:  # sipwarden.users opens SQLite and reads the clock: only its type is needed
    from sipwarden.users.forwarding import Forwarding

MOVED = (302, "Moved Temporarily")
UNAVAILABLE = (480, "Temporarily Unavailable")


def redirect_response(
    request: Request,
    bindings: Iterable[Binding],
    now: float,
    forwarding: Forwarding | None = None,
) -> Response:
    """302 with one Contact per unexpired binding at `now` (highest q first), or 480 when
    there is none; `forwarding` (as stored: absolute URIs) as in the module docstring."""
    live = [b for b in sorted_bindings(bindings) if not b.expired(now)]
    forward = _forward_target(forwarding, bool(live))
    if forward is not None:
        return build_response(request, *MOVED, headers=[("Contact", f"<{forward}>")])
    if not live:
        return build_response(request, *UNAVAILABLE)
    headers = [("Contact", redirect_contact(b, now)) for b in live]
    return build_response(request, *MOVED, headers=headers)


def _forward_target(forwarding: Forwarding | None, registered: bool) -> str | None:
    if forwarding is None:
        return None
    if forwarding.always is not None:
        return forwarding.always
    return None if registered else forwarding.unregistered


def redirect_contact(binding: Binding, now: float) -> str:
    """`<uri>[;q=Q];expires=N` for one binding (§20.10)."""
    q = "" if binding.q is None else f";q={format_q(binding.q)}"
    return f"<{binding.contact}>{q};expires={binding.remaining(now)}"


def format_q(q: float) -> str:
    """A qvalue as §25.1 writes it: "0", "0.5", "0.125", "1"."""
    return f"{q:.3f}".rstrip("0").rstrip(".")
