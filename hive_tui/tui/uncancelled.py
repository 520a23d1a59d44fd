"""DOM changes that finish even when whoever awaits them is cancelled.

Textual's ``mount``/``remove`` interrupted half-way (an exclusive worker cancelled by the next
one, a vote stopped with Esc) cancel the message pumps of the widgets being mounted. Those
widgets stay in the DOM but never process a message again: their pane stops updating, Pilot's
key presses wait on them forever and so does the app's exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Strong references: the event loop keeps only weak ones to tasks nobody awaits any more.
_unfinished: set[asyncio.Task[Any]] = set()


async def uncancelled(change: Coroutine[Any, Any, T], lock: asyncio.Lock) -> T:
    """Runs ``change`` under ``lock`` (one change to a widget's children at a time) in its own
    task and waits for it; cancelling the waiter stops only the waiting, never the change."""

    async def locked() -> T:
        async with lock:
            return await change

    task = asyncio.ensure_future(locked())
    _unfinished.add(task)
    task.add_done_callback(_unfinished.discard)
    return await asyncio.shield(task)
