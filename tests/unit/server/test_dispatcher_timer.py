"""The dispatcher's one loop timer: armed on a grid of T1/50, never early, at most one grain
late, one wake-up for every deadline that falls in the same grain (module docstring)."""

from __future__ import annotations

from collections.abc import Callable

from sipwarden.server.dispatcher import TIMER_GRAIN, Dispatcher
from sipwarden.transaction import TimerConfig
from sipwarden.transport.address import Address, Destination
from tests.unit.server.test_dispatcher import Branch, FakeSender, request

TIMERS = TimerConfig(t1=0.5)
GRAIN = TIMERS.t1 * TIMER_GRAIN
DOWNSTREAM = Destination(Address("UDP", "192.0.2.20", 5060))


class FakeLoop:
    """`time` and `call_at`, all the dispatcher asks of its loop; handles are recorded."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.armed: list[FakeHandle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> FakeHandle:
        handle = FakeHandle(when, callback)
        self.armed.append(handle)
        return handle

    def live(self) -> list[FakeHandle]:
        return [h for h in self.armed if not h.cancelled]


class FakeHandle:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def rig(now: float) -> tuple[Dispatcher, FakeLoop, FakeSender]:
    sender = FakeSender()
    dispatcher = Dispatcher(sender, TIMERS)
    loop = FakeLoop(now)
    dispatcher._loop = loop  # type: ignore[assignment]
    dispatcher._clock = loop.time
    return dispatcher, loop, sender


def test_the_timer_is_armed_on_the_grid_never_before_the_deadline() -> None:
    for start in (0.0, 1.0001, 12345.678901, 7.77777):
        dispatcher, loop, _ = rig(start)
        dispatcher.send_request(request("OPTIONS", branch="z9hG4bKa"), DOWNSTREAM, Branch())
        deadline = dispatcher.table.next_deadline()
        assert deadline == start + TIMERS.t1  # Timer E (§17.1.2.2): the table's is exact
        (handle,) = loop.live()
        assert deadline <= handle.when < deadline + GRAIN + 1e-9
        assert abs(handle.when / GRAIN - round(handle.when / GRAIN)) < 1e-6


def test_deadlines_in_one_grain_share_one_wake_up_and_all_fire_in_it() -> None:
    dispatcher, loop, sender = rig(100.0)
    owners = [Branch() for _ in range(5)]
    for i, owner in enumerate(owners):
        loop.now = 100.0 + i * GRAIN / 10  # five Timer E deadlines within a tenth of a grain each
        dispatcher.send_request(request("OPTIONS", branch=f"z9hG4bKg{i}"), DOWNSTREAM, owner)
    sent, wake_ups = len(sender.sent), 0
    while (live := loop.live()) and min(h.when for h in live) < 100.0 + 2 * TIMERS.t1:
        handle = min(live, key=lambda h: h.when)  # what the loop runs next
        loop.now = handle.when
        handle.cancelled = True
        handle.callback()
        wake_ups += 1
    assert wake_ups <= 2  # the five deadlines span half a grain: at most two grid points
    assert len(sender.sent) == sent + 5  # each retransmitted once (Timer E), none early


def test_a_fire_before_the_deadline_fires_nothing_and_rearms() -> None:
    dispatcher, loop, sender = rig(0.0)
    dispatcher.send_request(request("OPTIONS", branch="z9hG4bKe"), DOWNSTREAM, Branch())
    (handle,) = loop.live()
    loop.now = TIMERS.t1 - GRAIN  # an event loop may run a handle a little early
    handle.cancelled = True
    handle.callback()
    assert len(sender.sent) == 1  # nothing retransmitted yet
    (again,) = loop.live()
    assert again.when == handle.when
    loop.now = again.when
    again.callback()
    assert len(sender.sent) == 2
