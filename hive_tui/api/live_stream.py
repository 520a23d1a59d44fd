"""``"hive": {"stream": "live"}``: stream the first worker to speak as it writes, not the vote.

For clients that value the first token over the vote. The first local worker to produce a token
is the one streamed; every token it writes goes out as a content delta at once (the OpenAI
chunk shape). The vote runs as usual meanwhile, and the last chunk carries its ``hive``
object with ``streamed``: which worker was streamed and whether its answer won. When it did
not, the voted answer is in ``hive.candidates`` (the one marked ``winner``): the stream has
already said something else, so the client decides what to show. Requests with tools are
always voted first (a tool call cannot be taken back).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import msgspec

from hive_tui import wire
from hive_tui.api import schemas
from hive_tui.api.handling import KEEPALIVE_S, cancel, error_detail
from hive_tui.api.present import chunk_usage, hive_vote
from hive_tui.errors import HiveError
from hive_tui.node import Node, SwarmRequest, VoteResult

QUEUE_SIZE = 100_000  # tokens of one request kept while the client reads (a long answer fits)


def _data(chunk: msgspec.Struct) -> bytes:
    return b"data: " + msgspec.json.encode(chunk) + b"\n\n"


async def live_sse(
    node: Node, job: SwarmRequest, model: str, created: int, include_usage: bool
) -> AsyncIterator[bytes]:
    rid = job.request_id
    cid = f"chatcmpl-{rid}"

    def chunk(delta: schemas.Delta, finish: str | None = None) -> schemas.ChatCompletionChunk:
        return schemas.ChatCompletionChunk(cid, created, model,
                                           [schemas.ChunkChoice(0, delta, finish)])

    tokens = node.bus.subscribe(
        accept=lambda e: isinstance(e, wire.TokenEvent) and e.request_id == rid,
        maxsize=QUEUE_SIZE,
    )
    vote: asyncio.Task[VoteResult] = asyncio.create_task(node.answer(job))
    getter: asyncio.Future[wire.CoreEvent] | None = None
    lead: str | None = None
    try:
        yield _data(chunk(schemas.Delta(role="assistant", content="")))
        while not vote.done():
            getter = getter or asyncio.ensure_future(tokens.get())
            waiting: list[asyncio.Future[object]] = [getter, vote]  # type: ignore[list-item]
            await asyncio.wait(waiting, timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                event, getter = getter.result(), None
                if (piece := _piece(event, lead)) is not None:
                    lead = lead or piece[0]
                    yield _data(chunk(schemas.Delta(content=piece[1])))
            elif not vote.done():
                yield b": voting\n\n"
        # What the lead wrote last: a token taken as the vote ended, and those still queued.
        rest = [getter.result()] if getter is not None and getter.done() else []
        while (queued := tokens.get_nowait()) is not None:
            rest.append(queued)
        for event in rest:
            if (piece := _piece(event, lead)) is not None:
                lead = lead or piece[0]
                yield _data(chunk(schemas.Delta(content=piece[1])))
        try:
            result = vote.result()
        except HiveError as exc:  # the status line is sent: the error is the last event
            yield _data(schemas.ErrorBody(error_detail(exc)))
            return
        winner = result.winner
        streamed = schemas.StreamedView(lead, lead == winner.worker_id) if lead else None
        finish = "length" if winner.finish_reason == "length" else "stop"
        last = chunk(schemas.Delta(), finish)
        vote_view = msgspec.structs.replace(hive_vote(result), streamed=streamed)
        yield _data(schemas.ChatCompletionChunk(cid, created, model, last.choices, hive=vote_view))
        if include_usage:
            yield _data(schemas.ChatCompletionChunk(cid, created, model, [],
                                                    usage=chunk_usage(result)))
        yield b"data: [DONE]\n\n"
    finally:
        if getter is not None:
            getter.cancel()
        tokens.close()
        # Starlette cancels this generator when the client disconnects: stop the workers too.
        with contextlib.suppress(Exception):
            await cancel(vote)


def _piece(event: wire.CoreEvent, lead: str | None) -> tuple[str, str] | None:
    """(worker, text) of a token the stream shows: the lead's, or the first of anyone's."""
    if isinstance(event, wire.TokenEvent) and (lead is None or event.worker_id == lead):
        return event.worker_id, event.text
    return None
