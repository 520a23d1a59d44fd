"""The in-process event bus: the swarm publishes typed ``wire.CoreEvent``s, readers subscribe.

Publishing never blocks the swarm. Each subscriber has its own bounded queue; one that falls
too far behind (``DEFAULT_QUEUE_SIZE`` events) loses its oldest events, rather than making
the swarm wait or memory grow without end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from hive_tui.wire import CoreEvent

DEFAULT_QUEUE_SIZE = 10_000


class Subscription:
    def __init__(
        self, bus: EventBus, maxsize: int, accept: Callable[[CoreEvent], bool] | None
    ) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[CoreEvent] = asyncio.Queue(maxsize)
        self._accept = accept
        self._dropped = 0

    def _offer(self, event: CoreEvent) -> None:
        if self._accept is not None and not self._accept(event):
            return
        if self._queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
                self._dropped += 1
        self._queue.put_nowait(event)

    def take_dropped(self) -> int:
        """How many events were dropped (oldest first) since the last call."""
        dropped, self._dropped = self._dropped, 0
        return dropped

    async def get(self) -> CoreEvent:
        return await self._queue.get()

    def get_nowait(self) -> CoreEvent | None:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        self._bus._subscribers.discard(self)

    def __aiter__(self) -> AsyncIterator[CoreEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[CoreEvent]:
        while True:
            yield await self._queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def publish(self, event: CoreEvent) -> None:
        for sub in list(self._subscribers):
            sub._offer(event)

    def subscribe(
        self,
        accept: Callable[[CoreEvent], bool] | None = None,
        maxsize: int = DEFAULT_QUEUE_SIZE,
    ) -> Subscription:
        sub = Subscription(self, maxsize, accept)
        self._subscribers.add(sub)
        return sub

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
