"""``GET /v1/hive/events``: the node's core events, live, as server-sent events.

This is what ``hive --connect URL`` reads: every ``wire.CoreEvent`` the swarm publishes,
JSON-encoded from the wire structs (decode with ``wire.core_event_json_decoder``), one per
``data:`` line. A new client first gets one ``WorkerStateChanged`` per worker, so it starts
from the node's current state instead of waiting for the next change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from hive_tui import wire
from hive_tui.node import Subscription

# Comment lines keep idle connections (and proxies between) from timing out.
KEEPALIVE_S = 5.0
EVENTS_PATH = "/v1/hive/events"


def sse_data(event: wire.CoreEvent) -> bytes:
    return b"data: " + msgspec.json.encode(event) + b"\n\n"


async def _stream(
    subscription: Subscription, snapshot: list[wire.CoreEvent], closed: asyncio.Event
) -> AsyncIterator[bytes]:
    """Until the client goes away or the node ends its requests (shutdown: ``closed``)."""
    ended: asyncio.Future[Any] = asyncio.ensure_future(closed.wait())
    getter: asyncio.Future[wire.CoreEvent] | None = None
    try:
        yield b": hive events\n\n"
        for event in snapshot:
            yield sse_data(event)
        while not ended.done():
            # One pending get at a time, kept across keepalives so no event goes astray.
            getter = getter or asyncio.ensure_future(subscription.get())
            await asyncio.wait(
                [getter, ended], timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED
            )
            if getter.done():
                event, getter = getter.result(), None
                yield sse_data(event)
            elif not ended.done():
                yield b": keepalive\n\n"
    finally:
        # Starlette cancels the generator when the client goes away: stop queueing for it.
        for waiting in (getter, ended):
            if waiting is not None:
                waiting.cancel()
        subscription.close()


async def hive_events(request: Request) -> Response:
    node = request.app.state.node
    # Subscribe before taking the snapshot, so no change falls between the two.
    subscription = node.bus.subscribe()
    snapshot: list[wire.CoreEvent] = [wire.WorkerStateChanged(s) for s in node.swarm.statuses()]
    return StreamingResponse(
        _stream(subscription, snapshot, node.closed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
