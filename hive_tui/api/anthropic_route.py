"""``POST /v1/messages``: Anthropic's Messages API, answered by the same vote as the chat route.

The request passes the same guard (the key as ``x-api-key`` or a bearer token, Host, body
limits, admission) and the same resolution (``handling.chat_job`` -> ``Node.request``) as
``/v1/chat/completions``; only the shapes differ (``anthropic_present``). Every error this
route gives, before or during a stream, is Anthropic's ``{"type": "error", "error": {...}}``.
A stream sends ``message_start`` at once, ``ping`` events while the workers vote, then the
voted message as block events; the vote rides on ``message_delta`` as ``hive``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hive_tui.api import anthropic_schemas as an
from hive_tui.api.anthropic_present import as_chat_request, as_message, message_start, stream_events
from hive_tui.api.handling import (
    cancel,
    chat_job,
    decoded,
    error_kind,
    run_watching_client,
    tool_decision,
)
from hive_tui.api.present import completion
from hive_tui.api.schemas import decode_as
from hive_tui.api.tool_request import ToolMode
from hive_tui.errors import HiveError
from hive_tui.node import Node, SwarmRequest, VoteResult

log = logging.getLogger("hive.api")

PATH = "/v1/messages"
KEEPALIVE_S = 1.0  # a ping event this often while the vote runs


def _error(exc: HiveError) -> tuple[int, bytes]:
    status, type_, _param = error_kind(exc)
    if status == 500:
        log.error("%s on %s: %s", type(exc).__name__, PATH, exc)
    return status, an.error_body(status, str(exc))


def _event(event: an.StreamEvent) -> bytes:
    name = type(event).__struct_config__.tag  # the SDK reads the event's name, not its data
    return f"event: {name}\ndata: ".encode() + msgspec.json.encode(event) + b"\n\n"


def _answer(
    result: VoteResult, job: SwarmRequest, req: an.MessagesRequest, mode: ToolMode | None
) -> an.Message:
    chat = completion(result, req.model, int(time.time()), tool_decision(result, mode))
    return as_message(chat, job.request_id)


async def messages(request: Request) -> Response:
    node: Node = request.app.state.node
    try:
        body = await request.body()
        req = decoded(lambda: decode_as(body, an.MessagesRequest))
        job, mode = chat_job(node, as_chat_request(req))
        if req.stream:
            return StreamingResponse(
                _sse(node, job, req, mode),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        result = await run_watching_client(request, node, job)
    except HiveError as exc:  # ApiError included
        status, error = _error(exc)
        return Response(error, status, media_type="application/json")
    body_out = msgspec.json.encode(_answer(result, job, req, mode))
    return Response(body_out, media_type="application/json")


async def _sse(
    node: Node, job: SwarmRequest, req: an.MessagesRequest, mode: ToolMode | None
) -> AsyncIterator[bytes]:
    vote = asyncio.create_task(node.answer(job))
    try:
        yield _event(message_start(job.request_id, req.model))
        while not vote.done():
            await asyncio.wait([vote], timeout=KEEPALIVE_S)
            if not vote.done():
                yield _event(an.Ping())
        try:
            result = vote.result()
        except HiveError as exc:  # the status line is sent: the error is the last event
            yield b"event: error\ndata: " + _error(exc)[1] + b"\n\n"
            return
        for event in stream_events(_answer(result, job, req, mode)):
            yield _event(event)
    finally:
        # Starlette cancels this generator when the client disconnects: stop the workers too.
        await cancel(vote)


ROUTES = [Route(PATH, messages, methods=["POST"])]
