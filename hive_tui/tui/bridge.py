"""The one long-lived worker between the core's event stream and the app's message queue.

Tokens arrive far faster than a terminal needs to repaint, so events are gathered for up to
``BATCH_WINDOW_S`` after the first one and posted as a single ``CoreEvents`` message: the UI
repaints at most ~20 times a second however many workers are writing, and a key press never
waits behind hundreds of queued token messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.message import Message

from hive_tui import wire
from hive_tui.client.core import Core

BATCH_WINDOW_S = 0.05
MAX_BATCH = 2000


class CoreEvents(Message):
    """Core events, in order, since the previous batch."""

    def __init__(self, events: list[wire.CoreEvent]) -> None:
        super().__init__()
        self.events = events


async def pump_events(core: Core, post: Callable[[Message], object]) -> None:
    """Run forever (until cancelled with the app): read, batch, post."""
    source = core.subscribe()
    loop = asyncio.get_running_loop()
    try:
        while True:
            batch = [await source.get()]
            deadline = loop.time() + BATCH_WINDOW_S
            while len(batch) < MAX_BATCH:
                event = source.get_nowait()
                if event is not None:
                    batch.append(event)
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(source.get(), remaining))
                except TimeoutError:
                    break
            post(CoreEvents(batch))
    finally:
        source.close()
