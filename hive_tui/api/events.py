"""``GET /v1/hive/events``: the node's core events, live, as server-sent events.

This is what ``hive --connect URL`` reads: every ``wire.CoreEvent`` the swarm publishes,
JSON-encoded from the wire structs (decode with ``wire.core_event_json_decoder``), one per
``data:`` line. A new client first gets one ``WorkerStateChanged`` per worker, so it starts
from the node's current state instead of waiting for the next change.

Bounded (issue 16): at most ``max_event_streams`` readers at once (one more gets 503 with
``Retry-After``), and each has a queue of ``QUEUE_SIZE`` events. A reader that falls that far
behind loses the oldest ones and is told how many, in a comment line before the next event
(``: dropped N events``), so its memory on the node stays bounded however slowly it reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hive_tui import wire
from hive_tui.api import schemas
from hive_tui.api.guard import BUSY, Admission
from hive_tui.node import Subscription

# Comment lines keep idle connections (and proxies between) from timing out.
KEEPALIVE_S = 5.0
EVENTS_PATH = "/v1/hive/events"
QUEUE_SIZE = 1000  # events kept for one reader that is behind


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
                if dropped := subscription.take_dropped():
                    yield f": dropped {dropped} events (reading too slowly)\n\n".encode()
                yield sse_data(event)
            elif not ended.done():
                yield b": keepalive\n\n"
    finally:
        # Starlette cancels the generator when the client goes away: stop queueing for it.
        for waiting in (getter, ended):
            if waiting is not None:
                waiting.cancel()
        subscription.close()


class _EventStream(StreamingResponse):
    """Holds its reader's place (``max_event_streams``) until the response is over, and
    unsubscribes then even if the stream never started."""

    def __init__(self, subscription: Subscription, body: AsyncIterator[bytes], streams: Admission):
        super().__init__(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.subscription, self.streams = subscription, streams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.subscription.close()
            self.streams.leave()


async def hive_events(request: Request) -> Response:
    node = request.app.state.node
    streams: Admission = request.app.state.event_streams
    if not streams.try_enter():
        status, message, kind, headers = BUSY
        body = schemas.ErrorBody(schemas.ErrorDetail(f"too many event streams; {message}", kind))
        return Response(msgspec.json.encode(body), status, headers, "application/json")
    # Subscribe before taking the snapshot, so no change falls between the two.
    subscription = node.bus.subscribe(maxsize=QUEUE_SIZE)
    snapshot: list[wire.CoreEvent] = [wire.WorkerStateChanged(s) for s in node.swarm.statuses()]
    return _EventStream(subscription, _stream(subscription, snapshot, node.closed), streams)
