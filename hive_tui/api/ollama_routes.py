"""Ollama's API on the node, so Ollama clients (oterm, Open WebUI, editor plugins) talk to
the hive: ``POST /api/chat`` and ``POST /api/generate`` (NDJSON streams unless
``"stream": false``, as Ollama does), ``GET /api/tags``, ``POST /api/show``, ``GET /api/ps``,
``GET /api/version``.

Every request has passed the guard (Host, API key, body size; the two generation routes take
an admission slot) and is resolved by ``Node.request``, as the OpenAI route's are: the same
defaults, checks and vote. As on that route, a stream is the voted winner sent in word-sized
pieces once the vote is decided, and its last line carries the vote (``hive``). Errors are
Ollama's ``{"error": "..."}`` with the status the OpenAI route would give.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hive_tui import consensus, wire
from hive_tui.api import ollama_models
from hive_tui.api import ollama_schemas as o
from hive_tui.api.handling import cancel, run_watching_client
from hive_tui.api.present import _PIECES, hive_vote  # the winner cut as the OpenAI stream cuts it
from hive_tui.api.schemas import HiveOptions, _integral_floats_as_ints
from hive_tui.errors import HiveError
from hive_tui.node import (
    ContextLengthExceeded,
    InvalidRequest,
    Node,
    SwarmError,
    SwarmRequest,
    VoteResult,
)

NDJSON = "application/x-ndjson"
NS = 1_000_000_000
T = TypeVar("T")
log = logging.getLogger("hive.api")


class OllamaRefusal(HiveError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _status(exc: HiveError) -> int:
    """The status the OpenAI route gives the same error (``app.error_kind``)."""
    if isinstance(exc, OllamaRefusal):
        return exc.status
    if isinstance(exc, ContextLengthExceeded | InvalidRequest | consensus.UnknownStrategy):
        return 400
    if isinstance(exc, SwarmError | consensus.NoValidJson):
        return 503
    return 500


def _json(body: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status, media_type="application/json")


def _error(exc: HiveError) -> Response:
    status = _status(exc)
    if status == 500:  # not one the API expects: worth a line in the node's log
        log.error("%s on an Ollama route: %s", type(exc).__name__, exc)
    return _json(o.OllamaError(str(exc)), status)


def _decode(body: bytes, kind: type[T]) -> T:
    """Decoded as the OpenAI route decodes (``5.0`` is an integer, as JSON Schema says)."""
    try:
        return msgspec.convert(_integral_floats_as_ints(msgspec.json.decode(body)), kind)
    except msgspec.ValidationError as exc:
        if str(exc).endswith(("images`", "tools`", "tool_calls`")):  # ollama_schemas.Unsupported
            where = str(exc).rsplit(" at ", 1)[-1].strip("`")
            why = "hive votes on text; tools are voted on /v1/chat/completions"
            raise OllamaRefusal(400, f"{where}: not supported here ({why})") from exc
        raise OllamaRefusal(400, f"invalid request: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise OllamaRefusal(400, f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise OllamaRefusal(400, "malformed JSON: nested too deeply") from exc


def _job(
    node: Node,
    messages: list[wire.ChatMessage],
    options: o.OllamaOptions | None,
    hive: HiveOptions | None,
    fmt: o.OllamaFormat | None = None,
) -> SwarmRequest:
    opts = options or o.OllamaOptions()
    hive = hive or HiveOptions()
    predict = opts.num_predict if opts.num_predict and opts.num_predict > 0 else None
    return node.request(
        messages,
        strategy=hive.strategy,
        seed=opts.seed,
        workers=hive.workers,
        temperature=opts.temperature,
        top_p=opts.top_p,
        top_k=opts.top_k,
        min_p=opts.min_p,
        max_tokens=predict,
        stop=opts.stop or (),
        early_exit=hive.early_exit,
        context=hive.context,
        kb=hive.kb,
        response_format=(
            "json_schema" if isinstance(fmt, dict) else "json_object" if fmt else "text"
        ),
        json_schema=fmt if isinstance(fmt, dict) else None,
    )


def _stats(result: VoteResult, started: float) -> o.Stats:
    winner = result.winner
    return o.Stats(
        done_reason=winner.finish_reason if winner.finish_reason == "length" else "stop",
        total_duration=int((asyncio.get_running_loop().time() - started) * NS),
        prompt_eval_count=result.prompt_tokens,
        prompt_eval_duration=int(winner.ttft_s * NS),
        eval_count=winner.completion_tokens,
        eval_duration=int(max(0.0, winner.latency_s - winner.ttft_s) * NS),
    )


def chat_piece(model: str, text: str) -> o.OllamaChatChunk:
    return o.OllamaChatChunk(model, ollama_models.now(), o.OllamaReply("assistant", text))


def chat_final(model: str, result: VoteResult, started: float, text: str) -> o.OllamaChatResponse:
    return o.OllamaChatResponse(
        **msgspec.structs.asdict(_stats(result, started)),
        model=model,
        created_at=ollama_models.now(),
        message=o.OllamaReply("assistant", text),
        hive=hive_vote(result),
    )


def generate_piece(model: str, text: str) -> o.OllamaGenerateChunk:
    return o.OllamaGenerateChunk(model, ollama_models.now(), text)


def generate_final(
    model: str, result: VoteResult, started: float, text: str
) -> o.OllamaGenerateResponse:
    return o.OllamaGenerateResponse(
        **msgspec.structs.asdict(_stats(result, started)),
        model=model,
        created_at=ollama_models.now(),
        response=text,
        hive=hive_vote(result),
    )


Piece = Callable[[str, str], object]
Final = Callable[[str, VoteResult, float, str], object]


async def _answer(
    request: Request, job: SwarmRequest, model: str, stream: bool, piece: Piece, final: Final
) -> Response:
    """The vote's answer whole, or as an NDJSON stream of pieces and the final line."""
    node: Node = request.app.state.node
    started = asyncio.get_running_loop().time()
    if not stream:
        result = await run_watching_client(request, node, job)
        return _json(final(model, result, started, result.winner.text))

    async def lines() -> AsyncIterator[bytes]:
        vote = asyncio.create_task(node.answer(job))
        try:
            try:
                result = await asyncio.shield(vote)
            except HiveError as exc:  # the status line is sent: the error is the last line
                yield msgspec.json.encode(o.OllamaError(str(exc))) + b"\n"
                return
            for text in _PIECES.findall(result.winner.text):
                yield msgspec.json.encode(piece(model, text)) + b"\n"
            yield msgspec.json.encode(final(model, result, started, "")) + b"\n"
        finally:
            # Starlette cancels this generator when the client disconnects: stop the workers.
            await cancel(vote)

    return StreamingResponse(lines(), media_type=NDJSON, headers={"Cache-Control": "no-cache"})


async def chat(request: Request) -> Response:
    node: Node = request.app.state.node
    try:
        req = _decode(await request.body(), o.OllamaChatRequest)
        messages = [wire.ChatMessage(m.role, m.content) for m in req.messages]
        job = _job(node, messages, req.options, req.hive, req.format)
        return await _answer(request, job, req.model, req.stream, chat_piece, chat_final)
    except HiveError as exc:
        return _error(exc)


async def generate(request: Request) -> Response:
    node: Node = request.app.state.node
    try:
        req = _decode(await request.body(), o.OllamaGenerateRequest)
        messages = [wire.ChatMessage("system", req.system)] if req.system else []
        messages.append(wire.ChatMessage("user", req.prompt))
        # The options (and format) are checked even for a load.
        job = _job(node, messages, req.options, req.hive, req.format)
        if not req.prompt:  # Ollama's way to load a model: ours are loaded
            return _json(o.OllamaLoadResponse(req.model, ollama_models.now()))
        return await _answer(request, job, req.model, req.stream, generate_piece, generate_final)
    except HiveError as exc:
        return _error(exc)


async def tags(request: Request) -> Response:
    return _json(ollama_models.tags(request.app.state.node.plan))


async def processes(request: Request) -> Response:
    return _json(ollama_models.processes(request.app.state.node))


async def show(request: Request) -> Response:
    node: Node = request.app.state.node
    try:
        req = _decode(await request.body(), o.OllamaModelRequest)
        if not ollama_models.is_served(node.plan, req.model):
            raise OllamaRefusal(404, f"model '{req.model}' not found")
    except HiveError as exc:
        return _error(exc)
    return _json(ollama_models.show(node))


async def version(request: Request) -> Response:
    return _json(o.OllamaVersion(ollama_models.OLLAMA_API_VERSION))


# Mounted by api/app.py; the two generation routes are admitted by the guard (ADMITTED_PATHS).
ROUTES = [
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/generate", generate, methods=["POST"]),
    Route("/api/tags", tags, methods=["GET"]),
    Route("/api/show", show, methods=["POST"]),
    Route("/api/ps", processes, methods=["GET"]),
    Route("/api/version", version, methods=["GET"]),
]
