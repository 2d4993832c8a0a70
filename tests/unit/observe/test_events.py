"""EventBus: the ring buffer, subscribers, top offenders; events.py and rates.py stay pure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sipwarden.observe.events import Event, EventBus


def _event(at: float, kind: str = "drop", source: str = "192.0.2.1") -> Event:
    return Event(at, kind, "flood", source, "alice@example.com", {"count": 31})


def test_publish_reaches_every_subscriber_in_order() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    first, second = _event(1.0), _event(2.0, "ban")
    assert bus.publish(first) == 1
    assert bus.publish(second) == 2
    assert seen == [first, second]
    assert bus.last_id == 2


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[Event] = []
    unsubscribe = bus.subscribe(seen.append)
    unsubscribe()
    bus.publish(_event(1.0))
    assert seen == [] and bus.subscribers == 0


def test_a_failing_subscriber_is_dropped_and_others_still_get_events() -> None:
    bus = EventBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("reader bug")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.publish(_event(1.0))
    bus.publish(_event(2.0))
    assert len(seen) == 2 and bus.subscribers == 1


def test_ring_buffer_keeps_the_last_events() -> None:
    bus = EventBus(capacity=3)
    for at in range(5):
        bus.publish(_event(float(at)))
    assert [e.at for e in bus.recent()] == [2.0, 3.0, 4.0]
    assert [e.at for e in bus.recent(2)] == [3.0, 4.0]
    assert bus.recent(0) == []
    assert [seq for seq, _ in bus.recent_with_ids(2)] == [4, 5]


def test_recent_by_kind() -> None:
    bus = EventBus()
    bus.publish(_event(1.0, "drop"))
    bus.publish(_event(2.0, "register"))
    assert [e.kind for e in bus.recent(kinds=frozenset({"register"}))] == ["register"]


def test_top_offenders_count_offences_only() -> None:
    bus = EventBus()
    for _ in range(3):
        bus.publish(_event(1.0, "auth_failure", "198.51.100.7"))
    bus.publish(_event(1.0, "drop", "192.0.2.1"))
    bus.publish(_event(1.0, "register", "203.0.113.5"))  # not an offence
    bus.publish(_event(1.0, "drop", ""))  # no source: not tallied
    assert bus.top_offenders() == [("198.51.100.7", 3), ("192.0.2.1", 1)]


def test_offender_memory_is_bounded() -> None:
    bus = EventBus(max_sources=10)
    bus.publish(_event(1.0, "drop", "192.0.2.250"))
    bus.publish(_event(1.0, "drop", "192.0.2.250"))
    for n in range(100):
        bus.publish(_event(1.0, "drop", f"10.0.0.{n}"))
    assert len(bus.top_offenders(1000)) <= 10
    assert bus.top_offenders(1) == [("192.0.2.250", 2)]


def test_event_is_frozen_and_serialises_to_json() -> None:
    event = _event(5.5)
    with pytest.raises(AttributeError):
        event.kind = "ban"  # type: ignore[misc]
    assert json.loads(json.dumps(event.to_json())) == {
        "at": 5.5,
        "kind": "drop",
        "reason": "flood",
        "source": "192.0.2.1",
        "account": "alice@example.com",
        "detail": {"count": 31},
    }


PROBE = """
import sys
for name in ("asyncio", "time", "socket"):
    sys.modules.pop(name, None)
import sipwarden.observe.events, sipwarden.observe.rates
print(sorted(n for n in ("asyncio", "time", "socket") if n in sys.modules))
"""


def test_events_and_rates_do_not_import_asyncio_time_or_socket() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
