"""The event bus: publishing never waits; a reader that falls behind loses its oldest events."""

from __future__ import annotations

from hive_tui import wire
from hive_tui.bus import EventBus


def test_a_full_subscription_drops_its_oldest_events_and_keeps_the_newest():
    bus = EventBus()
    with bus.subscribe(maxsize=3) as slow:
        for i in range(5):
            bus.publish(wire.RequestFailed(f"req-{i}", "x"))
        got = [slow.get_nowait() for _ in range(4)]
    assert [e.request_id for e in got if e is not None] == ["req-2", "req-3", "req-4"]
    assert got[-1] is None
    assert bus.subscriber_count == 0


def test_a_filtered_subscription_sees_only_what_it_accepts():
    bus = EventBus()
    with bus.subscribe(lambda e: getattr(e, "request_id", None) == "mine") as sub:
        bus.publish(wire.RequestFailed("other", "x"))
        bus.publish(wire.RequestFailed("mine", "y"))
        event = sub.get_nowait()
        assert isinstance(event, wire.RequestFailed) and event.message == "y"
        assert sub.get_nowait() is None
