"""What a ResponseContext asks its adapter to do (drained with `next_event()`).

The events are `Value`s, not dataclasses: several are made for every proxied message (see
sipwarden/value.py).
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.proxy.targets import Target
from sipwarden.sip import Response
from sipwarden.value import Value


class ForwardBranch(Value):
    """Forward a copy to `target` (build it with `forward_copy`, start a client transaction)."""

    __slots__ = ("branch_id", "group_index", "target")
    _names: ClassVar[tuple[str, ...]] = ("branch_id", "target", "group_index")

    def __init__(self, branch_id: int, target: Target, group_index: int) -> None:
        self.branch_id: Final = branch_id
        self.target: Final = target
        self.group_index: Final = group_index

    def _fields(self) -> tuple[object, ...]:
        return (self.branch_id, self.target, self.group_index)


class CancelBranch(Value):
    """Send a CANCEL (`build_cancel`) on branch `branch_id` (§16.10, §9.1)."""

    __slots__ = ("branch_id",)
    _names: ClassVar[tuple[str, ...]] = ("branch_id",)

    def __init__(self, branch_id: int) -> None:
        self.branch_id: Final = branch_id

    def _fields(self) -> tuple[object, ...]:
        return (self.branch_id,)


class SendUpstream(Value):
    """Send `response` (our Via already removed) on the server transaction; a 2xx to an
    INVITE after a final response has been sent goes statelessly (RFC 6026)."""

    __slots__ = ("response",)
    _names: ClassVar[tuple[str, ...]] = ("response",)

    def __init__(self, response: Response) -> None:
        self.response: Final = response

    def _fields(self) -> tuple[object, ...]:
        return (self.response,)


class Finished(Value):
    """The context is over: a final response went up and no branch is pending."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()

    def _fields(self) -> tuple[object, ...]:
        return ()


ProxyEvent = ForwardBranch | CancelBranch | SendUpstream | Finished
