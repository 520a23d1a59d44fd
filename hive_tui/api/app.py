"""The OpenAI-compatible HTTP API over a node (Starlette; served by uvicorn in ``hive --node``).

Routes: ``POST /v1/chat/completions`` (plain and SSE), ``GET /v1/models``, ``GET /health``,
``GET /openapi.json``, ``POST /v1/completions`` (``completions_route``), ``POST /v1/embeddings``
(``embeddings_route``), ``POST /v1/messages`` (Anthropic's, ``anthropic_route``: its errors in
Anthropic's shape); for ``hive --connect``, ``GET /v1/hive/events`` and ``POST /v1/hive/vote``
(typed: ``wire.VoteAsk`` in, ``wire.VoteReply`` out). Every request first passes
``hive_tui.api.guard`` (Host allow-list, API key, body size, admission). Every error, ours or
Starlette's, leaves as an OpenAI-style ``{"error": {...}}`` body with a 4xx/5xx status; a
traceback never reaches a client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from hive_tui import consensus, wire
from hive_tui.api import (
    anthropic_route,
    completions_route,
    embeddings_route,
    ollama_embed,
    ollama_routes,
    schemas,
)
from hive_tui.api.access_log import AccessLog
from hive_tui.api.anthropic_schemas import ANTHROPIC_PATHS
from hive_tui.api.anthropic_schemas import error_body as anthropic_error
from hive_tui.api.events import EVENTS_PATH, hive_events
from hive_tui.api.guard import Admission, Guard, has_key
from hive_tui.api.handling import ApiError, chat_job, error_detail, error_kind, sse_vote
from hive_tui.api.handling import decoded as _decoded
from hive_tui.api.handling import run_watching_client as _run_watching_client
from hive_tui.api.live_stream import live_sse
from hive_tui.api.metrics import METRICS_PATH, NodeMetrics, RequestCounter, metrics, route_paths
from hive_tui.api.openapi import build_openapi
from hive_tui.api.present import completion, stream_chunks
from hive_tui.api.tool_request import ToolMode
from hive_tui.errors import HiveError
from hive_tui.federation.replies import reply_from_result
from hive_tui.node import (
    Node,
    SwarmRequest,
    VoteResult,
)
from hive_tui.tools.decide import ToolDecision, decide_tools

log = logging.getLogger("hive.api")

MAX_BODY_BYTES = 4 * 1024 * 1024
# SSE comment lines keep proxies and clients from timing out while the vote runs.


def json_response(body: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status, media_type="application/json")


def error_response(status: int, message: str, type_: str, param: str | None = None) -> Response:
    return json_response(schemas.ErrorBody(schemas.ErrorDetail(message, type_, param)), status)


async def parse_request(
    request: Request, node: Node
) -> tuple[SwarmRequest, schemas.ChatCompletionRequest, ToolMode | None]:
    body = await request.body()
    limit = min(MAX_BODY_BYTES, node.settings.max_body_bytes)
    if len(body) > limit:
        raise ApiError(413, f"request body over {limit} bytes", "invalid_request_error")
    req = _decoded(lambda: schemas.decode_request(body))
    job, tools = chat_job(node, req)
    return job, req, tools


def _tools(result: VoteResult, mode: ToolMode | None) -> ToolDecision | None:
    return None if mode is None else decide_tools(result, mode.offered, mode.required)


async def chat_completions(request: Request) -> Response:
    node: Node = request.app.state.node
    job, req, mode = await parse_request(request, node)
    model = req.model or node.plan.model_name  # the model asked for ("hive"), as OpenAI's do
    if req.stream:
        usage = req.stream_options is not None and bool(req.stream_options.include_usage)
        live = req.hive is not None and req.hive.stream == "live" and mode is None
        stream = (live_sse(node, job, model, int(time.time()), usage) if live
                  else _sse(node, job, mode, model, usage))
        return StreamingResponse(
            stream,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    result = await _run_watching_client(request, node, job)  # a SwarmError: see _hive_error
    body = completion(result, model, int(time.time()), _tools(result, mode))
    return json_response(body)


def _sse(
    node: Node, job: SwarmRequest, mode: ToolMode | None, model: str, usage: bool
) -> AsyncIterator[bytes]:
    created = int(time.time())
    return sse_vote(node, job, lambda result: stream_chunks(
        result, model, created, _tools(result, mode), usage))


async def hive_vote(request: Request) -> Response:
    """``hive --connect``'s typed route: a ``wire.VoteAsk`` in, the whole vote out as a
    ``wire.VoteReply`` (the OpenAI view leaves the groups out). The app's request id is kept,
    so the vote's events on /v1/hive/events carry it."""
    node: Node = request.app.state.node
    body = await request.body()
    ask = _decoded(lambda: msgspec.json.decode(body, type=wire.VoteAsk))
    params = ask.params
    try:
        job = node.request(
            ask.messages,
            strategy=ask.strategy,
            seed=ask.seed,
            workers=ask.workers,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k,
            min_p=params.min_p,
            max_tokens=params.max_tokens,
            stop=params.stop,
            request_id=ask.request_id,
            context=ask.context,
            kb=ask.kb,
        )
    except consensus.UnknownStrategy as exc:
        raise ApiError(400, str(exc), "invalid_request_error", "strategy") from exc
    # A SwarmError: 503 (400 for a prompt over the context), see error_kind.
    result = await _run_watching_client(request, node, job)
    return json_response(reply_from_result(result))


async def list_models(request: Request) -> Response:
    node: Node = request.app.state.node
    created = request.app.state.started
    cards = [
        schemas.ModelCard(id=name, created=created, max_model_len=node.plan.n_ctx)
        for name in (node.plan.model_name, "hive")
    ]
    return json_response(schemas.ModelList(data=cards))


async def health(request: Request) -> Response:
    """The node's health; on a node with an API key, without the key: liveness only (the
    route is open, so no peer addresses, worker process ids or error text leave it)."""
    node: Node = request.app.state.node
    key = node.settings.api_key
    if key and not has_key(dict(request.headers), key.encode()):
        full = node.health()
        return json_response(wire.NodeLiveness(full.status, full.workers_ready))
    # Leak watch: tasks alive in the node's loop and requests admitted right now.
    body = msgspec.structs.replace(
        node.health(),
        asyncio_tasks=len(asyncio.all_tasks()),
        requests_admitted=request.app.state.admission.inside,
    )
    return json_response(body)


async def openapi(request: Request) -> Response:
    return json_response(request.app.state.openapi)


async def peer_socket(websocket: WebSocket) -> None:
    """Federation peers connect here (docs/federation.md); refused when federation is off."""
    node: Node = websocket.app.state.node
    if node.federation is None:
        await websocket.close(code=1008)
        return
    from hive_tui.federation.transport import ServerTransport

    await websocket.accept()
    await node.federation.accept(ServerTransport(websocket))


async def _hive_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HiveError)
    status, _type, _param = error_kind(exc)
    if status == 500:  # not one the API expects: worth a line in the node's log
        log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    return json_response(schemas.ErrorBody(error_detail(exc)), status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    response = _shaped(request, exc.status_code, str(exc.detail), kind)
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405 (RFC 9110)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    return _shaped(request, 500, "internal error (see the node's log)", "server_error")


def _shaped(request: Request, status: int, message: str, type_: str) -> Response:
    """An error in the shape the route's clients read: Anthropic's on its routes."""
    if request.url.path in ANTHROPIC_PATHS:
        return Response(anthropic_error(status, message), status, media_type="application/json")
    return error_response(status, message, type_)


def create_app(node: Node) -> RequestCounter:
    """The Starlette app behind its guard, behind the access log when the ``access_log``
    setting is on, behind the request counter of /metrics."""
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route(EVENTS_PATH, hive_events, methods=["GET"]),  # hive --connect
            Route(wire.VOTE_PATH, hive_vote, methods=["POST"]),  # hive --connect
            WebSocketRoute("/v1/hive/peer", peer_socket),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route(METRICS_PATH, metrics, methods=["GET"]),  # Prometheus
            *ollama_routes.ROUTES,  # Ollama's API: /api/chat, /api/generate, /api/tags...
            *anthropic_route.ROUTES,  # Anthropic's Messages API
            *completions_route.ROUTES,  # OpenAI's legacy completions
            *embeddings_route.ROUTES,  # OpenAI's embeddings
            *ollama_embed.ROUTES,  # Ollama's /api/embed
        ],
        exception_handlers={
            HiveError: _hive_error,  # ApiError included
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.node = node
    app.state.started = int(time.time())
    settings = node.settings
    app.state.openapi = build_openapi(secured=bool(settings.api_key))
    app.state.admission = Admission(settings.max_queue)
    app.state.event_streams = Admission(settings.max_event_streams)
    node.admission = app.state.admission  # peers' requests count against max_queue too
    app.state.metrics = NodeMetrics(node, app.state.admission, route_paths(app.routes))
    guard = Guard(
        app,
        api_key=settings.api_key,
        allowed_hosts=settings.allowed_host_names(),
        bound_host=settings.host,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_s=settings.body_timeout_s,
        admission=app.state.admission,
        sockets=Admission(settings.max_connections),
    )
    return RequestCounter(AccessLog(guard) if settings.access_log else guard, app.state.metrics)
