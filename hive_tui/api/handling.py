"""What every generation route shares: decoding a body into its typed request (one 400 each
way that fails), running the vote while watching for a client that hangs up, and the one
translation of a hive error into an HTTP status and an error type. Each API dialect's routes
(OpenAI, Anthropic) shape the error body their clients expect from these."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

import msgspec
from starlette.requests import Request

from hive_tui import consensus
from hive_tui.api import schemas
from hive_tui.api.tool_request import ToolMode, tool_mode, wire_messages
from hive_tui.errors import HiveError
from hive_tui.node import (
    ContextLengthExceeded,
    InvalidRequest,
    Node,
    SwarmError,
    SwarmRequest,
    VoteResult,
)
from hive_tui.tools.decide import ToolDecision, decide_tools

DISCONNECT_POLL_S = 0.25
KEEPALIVE_S = 1.0  # an SSE comment this often while a streamed vote runs
TOO_DEEP = "malformed JSON: nested too deeply"


class ApiError(HiveError):
    def __init__(self, status: int, message: str, type_: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param = status, message, type_, param


T = TypeVar("T")


def decoded(decode: Callable[[], T]) -> T:
    """A request body decoded, or the one 400 each way decoding fails."""
    try:
        return decode()
    except msgspec.ValidationError as exc:
        raise ApiError(400, f"invalid request: {exc}", "invalid_request_error") from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc}", "invalid_request_error") from exc
    except RecursionError as exc:
        raise ApiError(400, TOO_DEEP, "invalid_request_error") from exc


async def run_watching_client(request: Request, node: Node, job: SwarmRequest) -> VoteResult:
    """Run the vote; if the client hangs up first, cancel it (and so every worker's generation)."""
    vote = asyncio.create_task(node.answer(job))
    try:
        while not vote.done():
            await asyncio.wait([vote], timeout=DISCONNECT_POLL_S)
            if not vote.done() and await request.is_disconnected():
                vote.cancel()
                break
        return await vote
    finally:
        await cancel(vote)


async def sse_vote(
    node: Node, job: SwarmRequest, events: Callable[[VoteResult], Iterable[msgspec.Struct]]
) -> AsyncIterator[bytes]:
    """An SSE stream of a vote: a comment every ``KEEPALIVE_S`` while it runs (proxies and
    clients keep the connection), then ``events`` of the result, then ``[DONE]``; an error
    after the status line is sent is the last event. A client that hangs up cancels it."""
    vote = asyncio.create_task(node.answer(job))
    try:
        while not vote.done():
            await asyncio.wait([vote], timeout=KEEPALIVE_S)
            if not vote.done():
                yield b": voting\n\n"
        try:
            result = vote.result()
        except HiveError as exc:
            yield b"data: " + msgspec.json.encode(schemas.ErrorBody(error_detail(exc))) + b"\n\n"
            return
        for event in events(result):
            yield b"data: " + msgspec.json.encode(event) + b"\n\n"
        yield b"data: [DONE]\n\n"
    finally:
        # Starlette cancels this generator when the client disconnects: stop the workers too.
        await cancel(vote)


async def cancel(vote: asyncio.Task[VoteResult]) -> None:
    """Cancel an unfinished vote and wait for it: the swarm tells every worker to stop."""
    if not vote.done():
        vote.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await vote


def error_kind(exc: HiveError) -> tuple[int, str, str | None]:
    """The one translation of a hive error into an HTTP status, an OpenAI error type, a param."""
    if isinstance(exc, ApiError):
        return exc.status, exc.type, exc.param
    if isinstance(exc, ContextLengthExceeded):  # a SwarmError that no retry can help
        return 400, "invalid_request_error", "messages"
    if isinstance(exc, SwarmError):  # no worker ready, every worker failed
        return 503, "service_unavailable", None
    if isinstance(exc, consensus.NoValidJson):  # another seed may give one: worth a retry
        return 503, "service_unavailable", "response_format"
    if isinstance(exc, consensus.UnknownStrategy):
        return 400, "invalid_request_error", "hive.strategy"
    if isinstance(exc, InvalidRequest):
        return 400, "invalid_request_error", exc.param
    return 500, "server_error", None


def error_detail(exc: HiveError) -> schemas.ErrorDetail:
    _status, type_, param = error_kind(exc)
    if isinstance(exc, ContextLengthExceeded):
        return schemas.ContextErrorDetail(
            str(exc), type_, param, exc.code, exc.prompt_tokens, exc.n_ctx
        )
    return schemas.ErrorDetail(str(exc), type_, param)


def _refuse_non_text(messages: list[schemas.RequestMessage]) -> None:
    """hive's models read text only: a part they cannot read (``image_url``, ``input_audio``,
    ``file``) is refused by name rather than dropped, which would answer another question."""
    for i, message in enumerate(messages):
        for j, part in enumerate(message.content if isinstance(message.content, list) else []):
            if part.type != "text":
                where = f"messages[{i}].content[{j}]"
                raise ApiError(
                    400,
                    f"{where} is a {part.type!r} part; hive's models read text parts only",
                    "invalid_request_error",
                    where,
                )


def chat_job(
    node: Node, req: schemas.ChatCompletionRequest
) -> tuple[SwarmRequest, ToolMode | None]:
    """A chat request (OpenAI's, or another dialect's translated into it) as the node's
    resolved request (``Node.request``), with the tool mode its answer is read with."""
    _refuse_non_text(req.messages)
    hive = req.hive or schemas.HiveOptions()
    fmt = req.response_format
    try:
        specs, tools = tool_mode(req)
    except ValueError as exc:  # a named tool_choice that is not among the tools
        raise ApiError(400, str(exc), "invalid_request_error", "tool_choice") from exc
    try:
        job = node.request(
            wire_messages(req.messages),
            strategy=hive.strategy,
            seed=req.seed,
            workers=hive.workers,
            temperature=req.temperature,
            top_p=req.top_p,
            top_k=req.top_k,
            min_p=req.min_p,
            max_tokens=req.max_completion_tokens or req.max_tokens,
            stop=req.stop_list(),
            tools=specs,
            early_exit=hive.early_exit,
            context=hive.context,
            kb=hive.kb,
            response_format=_format_kind(fmt),
            json_schema=fmt.json_schema.schema if isinstance(fmt, JsonSchema) else None,
        )
    except consensus.UnknownStrategy as exc:
        names = ", ".join(consensus.strategy_names())
        raise ApiError(
            400,
            f"unknown strategy {exc.name!r}; use one of {names}",
            "invalid_request_error",
            "hive.strategy",
        ) from exc
    return job, tools


JsonSchema = schemas.JsonSchemaResponseFormat


def _format_kind(fmt: schemas.ResponseFormat | None) -> str:
    """What resolve_request takes: "json_schema" only with a schema (OpenAI's schema is
    optional; without one any JSON object will do)."""
    if isinstance(fmt, JsonSchema) and fmt.json_schema.schema is not None:
        return "json_schema"
    return "text" if fmt is None or isinstance(fmt, schemas.TextFormat) else "json_object"


def tool_decision(result: VoteResult, mode: ToolMode | None) -> ToolDecision | None:
    """How the workers voted on tool calls, when tools were offered."""
    return None if mode is None else decide_tools(result, mode.offered, mode.required)
