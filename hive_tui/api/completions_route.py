"""``POST /v1/completions``: OpenAI's legacy completions, answered by the same vote.

The prompt is asked as one user turn through the chat route's resolution
(``handling.chat_job`` -> ``Node.request``) behind the same guard and admission; the voted
answer comes back as ``choices[0].text``, whole or streamed (``stream_options.include_usage``
adds the counts in a last chunk). Errors are the OpenAI-style bodies of the chat route.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hive_tui.api import schemas
from hive_tui.api.completion_schemas import Completion, CompletionChoice, CompletionRequest
from hive_tui.api.handling import chat_job, decoded, run_watching_client, sse_vote
from hive_tui.api.present import completion, word_pieces
from hive_tui.api.schemas import decode_as
from hive_tui.node import Node, SwarmRequest, VoteResult

PATH = "/v1/completions"


def _as_chat(req: CompletionRequest) -> schemas.ChatCompletionRequest:
    return schemas.ChatCompletionRequest(
        messages=[schemas.RequestMessage("user", req.prompt_text())],
        model=req.model,
        temperature=req.temperature,
        top_p=req.top_p,
        max_tokens=req.max_tokens,
        stop=req.stop,
        seed=req.seed,
        hive=req.hive,
    )


def _answer(result: VoteResult, model: str) -> Completion:
    chat = completion(result, model, int(time.time()))
    choice = chat.choices[0]
    return Completion(
        id=f"cmpl-{result.request_id.removeprefix('req-')}",
        created=chat.created,
        model=model,
        choices=[CompletionChoice(choice.message.content or "", 0, choice.finish_reason)],
        usage=chat.usage,
        hive=chat.hive,
    )


async def completions(request: Request) -> Response:
    node: Node = request.app.state.node
    body = await request.body()
    req = decoded(lambda: decode_as(body, CompletionRequest))
    job, _mode = chat_job(node, _as_chat(req))  # no tools: the mode is None
    model = req.model or node.plan.model_name
    if req.stream:
        usage = req.stream_options is not None and bool(req.stream_options.include_usage)
        return StreamingResponse(
            _sse(node, job, model, usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    result = await run_watching_client(request, node, job)  # a SwarmError: the app's handler
    return Response(msgspec.json.encode(_answer(result, model)), media_type="application/json")


def _chunks(whole: Completion, usage: bool) -> list[Completion]:
    def chunk(text: str, finish: str | None = None) -> Completion:
        return Completion(whole.id, whole.created, whole.model, [CompletionChoice(text, 0, finish)])

    chunks = [chunk(piece) for piece in word_pieces(whole.choices[0].text)]
    last = chunk("", whole.choices[0].finish_reason)
    chunks.append(msgspec.structs.replace(last, hive=whole.hive))
    if usage:
        chunks.append(Completion(whole.id, whole.created, whole.model, [], usage=whole.usage))
    return chunks


def _sse(node: Node, job: SwarmRequest, model: str, usage: bool) -> AsyncIterator[bytes]:
    return sse_vote(node, job, lambda result: _chunks(_answer(result, model), usage))


ROUTES = [Route(PATH, completions, methods=["POST"])]
