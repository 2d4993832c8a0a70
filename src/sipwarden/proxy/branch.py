"""One branch of a response context: a target, its client transaction's progress, and the two
timers the proxy runs for it (Timer C, RFC 3261 §16.6 step 11; the §9.1 wait after CANCEL)."""

from __future__ import annotations

import enum

from sipwarden.proxy.targets import Target


class BranchState(enum.Enum):
    """Named after the INVITE client transaction states it mirrors (RFC 3261 §17.1.1)."""

    CALLING = "calling"  # forwarded, nothing back yet
    PROCEEDING = "proceeding"  # a provisional came back
    COMPLETED = "completed"  # a final response (received or made up) ended it


class CancelReason(enum.Enum):
    CALLER = "caller"  # §16.10: the caller's CANCEL
    ANSWERED = "answered"  # §16.7 step 10: a 2xx on another branch
    GLOBAL_FAILURE = "6xx"  # §16.7 step 5: a 6xx on another branch
    TIMER_C = "timer-c"  # §16.8
    NO_ANSWER = "no-answer"  # the TargetGroup's timeout (serial forking)


class Branch:
    """One branch's progress; the context updates its attributes as responses and timers come."""

    # A plain slotted class, not a dataclass: one is made per branch (see sipwarden/value.py);
    # mutable, so equal only to itself.
    __slots__ = (
        "branch_id",
        "cancel",
        "cancel_deadline",
        "cancel_sent",
        "group",
        "state",
        "target",
        "timer_c",
    )

    def __init__(
        self,
        branch_id: int,
        target: Target,
        group: int,
        state: BranchState = BranchState.CALLING,
        cancel: CancelReason | None = None,
        cancel_sent: bool = False,
        timer_c: float | None = None,
        cancel_deadline: float | None = None,
    ) -> None:
        self.branch_id = branch_id
        self.target = target
        self.group = group
        self.state = state
        self.cancel = cancel
        self.cancel_sent = cancel_sent
        self.timer_c = timer_c
        self.cancel_deadline = cancel_deadline

    def __repr__(self) -> str:
        return (
            f"Branch(branch_id={self.branch_id!r}, target={self.target!r}, group={self.group!r}, "
            f"state={self.state!r}, cancel={self.cancel!r}, cancel_sent={self.cancel_sent!r}, "
            f"timer_c={self.timer_c!r}, cancel_deadline={self.cancel_deadline!r})"
        )

    @property
    def pending(self) -> bool:
        return self.state is not BranchState.COMPLETED

    def deadlines(self) -> list[float]:
        if not self.pending:
            return []
        return [d for d in (self.timer_c, self.cancel_deadline) if d is not None]

    def complete(self) -> None:
        self.state = BranchState.COMPLETED
        self.timer_c = None
        self.cancel_deadline = None

    @property
    def ended_by_us(self) -> bool:
        """Cancelled because nobody answered (Timer C, group timeout): its 487 counts as 408."""
        cancel = self.cancel
        return cancel is CancelReason.TIMER_C or cancel is CancelReason.NO_ANSWER
