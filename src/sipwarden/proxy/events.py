"""What a ResponseContext asks its adapter to do (drained with `next_event()`)."""

from __future__ import annotations

from dataclasses import dataclass

from sipwarden.proxy.targets import Target
from sipwarden.sip import Response


@dataclass(frozen=True, slots=True)
class ForwardBranch:
    """Forward a copy to `target` (build it with `forward_copy`, start a client transaction)."""

    branch_id: int
    target: Target
    group_index: int


@dataclass(frozen=True, slots=True)
class CancelBranch:
    """Send a CANCEL (`build_cancel`) on branch `branch_id` (§16.10, §9.1)."""

    branch_id: int


@dataclass(frozen=True, slots=True)
class SendUpstream:
    """Send `response` (our Via already removed) on the server transaction; a 2xx to an
    INVITE after a final response has been sent goes statelessly (RFC 6026)."""

    response: Response


@dataclass(frozen=True, slots=True)
class Finished:
    """The context is over: a final response went up and no branch is pending."""


ProxyEvent = ForwardBranch | CancelBranch | SendUpstream | Finished
