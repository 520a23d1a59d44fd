"""Ollama's ``POST /api/embed``: the same vectors as ``/v1/embeddings`` (the node's embedding
child, ``embeddings_route.vectors``), in Ollama's shape: ``{"model", "embeddings": [[...]],
"prompt_eval_count", durations in nanoseconds}``, errors as ``{"error": "..."}``.

``truncate: false`` asks for an error rather than a cut text; the child cuts at its context,
so that value is refused rather than silently ignored. ``options`` and ``keep_alive`` are
accepted and ignored (one child serves every request, kept until the node stops).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hive_tui.api.embeddings_route import vectors
from hive_tui.api.embeddings_schemas import MAX_INPUTS, Text
from hive_tui.api.handling import ApiError
from hive_tui.api.ollama_schemas import ModelName, OllamaError
from hive_tui.api.schemas import _integral_floats_as_ints
from hive_tui.node import Node

PATH = "/api/embed"
NS = 1_000_000_000


class OllamaEmbedRequest(msgspec.Struct):
    model: ModelName
    input: Text | Annotated[list[Text], Meta(min_length=1, max_length=MAX_INPUTS)]
    truncate: Literal[True] = True
    dimensions: Annotated[int, Meta(ge=1)] | None = None
    options: dict[str, Any] | None = None
    keep_alive: str | int | None = None


class OllamaEmbedResponse(msgspec.Struct):
    model: str
    embeddings: list[list[float]]
    total_duration: int
    load_duration: int
    prompt_eval_count: int


def _refused(status: int, message: str) -> Response:
    body = msgspec.json.encode(OllamaError(message))
    return Response(body, status, media_type="application/json")


async def embed(request: Request) -> Response:
    node: Node = request.app.state.node
    started = time.perf_counter()
    try:
        raw = msgspec.json.decode(await request.body())
        req = msgspec.convert(_integral_floats_as_ints(raw), OllamaEmbedRequest)
    except msgspec.ValidationError as exc:
        return _refused(400, f"invalid request: {exc}")
    except (msgspec.DecodeError, RecursionError) as exc:
        return _refused(400, f"malformed JSON: {exc}")
    texts = [req.input] if isinstance(req.input, str) else req.input
    try:
        rows, tokens = await vectors(node, texts, req.dimensions)
    except ApiError as exc:
        return _refused(exc.status, exc.message)
    body = OllamaEmbedResponse(
        model=req.model,
        embeddings=rows.tolist(),
        total_duration=int((time.perf_counter() - started) * NS),
        load_duration=0,
        prompt_eval_count=tokens,
    )
    return Response(msgspec.json.encode(body), media_type="application/json")


def embed_paths(security: list[dict[str, list[str]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``/api/embed`` for ``/openapi.json``: (paths, component schemas)."""
    from hive_tui.api.schemas import ErrorBody

    types = [OllamaEmbedRequest, OllamaEmbedResponse, OllamaError, ErrorBody]
    refs, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    embed_in, embed_out, ollama_error, openai_error = refs
    failed = {"content": {"application/json": {"schema": {"anyOf": [ollama_error, openai_error]}}}}
    codes = {"400": "bad request", "413": "body too large", "503": "busy or no model"}
    if security:
        codes["401"] = "API key missing or wrong"
    post = {
        "operationId": "ollamaEmbed",
        "security": security,
        "requestBody": {"required": True, "content": {"application/json": {"schema": embed_in}}},
        "responses": {
            "200": {
                "description": "one vector per input",
                "content": {"application/json": {"schema": embed_out}},
            },
            **{code: {"description": why, **failed} for code, why in codes.items()},
        },
    }
    return {PATH: {"post": post}}, components


ROUTES = [Route(PATH, embed, methods=["POST"])]
