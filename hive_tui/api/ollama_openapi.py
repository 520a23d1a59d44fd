"""The Ollama routes and ``/metrics`` in ``/openapi.json``, described from the msgspec types
that validate the requests (``ollama_schemas``), as ``openapi.py`` does for the OpenAI route.

Errors on the Ollama routes are Ollama's ``{"error": "..."}`` when a route answers them and
the OpenAI-style body when the guard does (Host, API key, size, a full queue): both are
described.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hive_tui.api import ollama_schemas as o
from hive_tui.api import schemas

NDJSON = "application/x-ndjson"
REF = "#/components/schemas/{name}"
ERRORS = {
    400: "bad request",
    401: "API key missing or wrong",
    404: "model not found",
    413: "body too large",
    503: "busy or no worker available",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ollama_paths(security: list[dict[str, list[str]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(paths, component schemas) to merge into the OpenAPI document."""
    types = [
        o.OllamaChatRequest,
        o.OllamaChatResponse,
        o.OllamaChatChunk,
        o.OllamaGenerateRequest,
        o.OllamaGenerateResponse,
        o.OllamaGenerateChunk,
        o.OllamaLoadResponse,
        o.OllamaModelRequest,
        o.OllamaTags,
        o.OllamaShowResponse,
        o.OllamaProcesses,
        o.OllamaVersion,
        o.OllamaError,
        schemas.ErrorBody,
    ]
    refs, components = msgspec.json.schema_components(types, ref_template=REF)
    (chat_in, chat_out, chat_chunk, gen_in, gen_out, gen_chunk, load) = refs[:7]
    (show_in, tags, show_out, ps, version, ollama_error, openai_error) = refs[7:]
    failed = {"content": _json({"anyOf": [ollama_error, openai_error]})}
    secured = bool(security)

    def errors(*codes: int) -> dict[str, Any]:
        codes = (*codes, 401) if secured else codes
        return {str(c): {"description": ERRORS[c], **failed} for c in codes}

    def generation(body: dict[str, Any], whole: dict[str, Any], line: list[Any]) -> Any:
        return {
            "post": {
                "security": security,
                "requestBody": {"required": True, "content": _json(body)},
                "responses": {
                    "200": {
                        "description": "the voted answer: NDJSON lines, or one object with "
                        '"stream": false',
                        "content": {**_json(whole), NDJSON: {"schema": {"anyOf": line}}},
                    },
                    **errors(400, 413, 503),
                },
            }
        }

    def get(schema: dict[str, Any], what: str) -> Any:
        return {
            "get": {
                "security": security,
                "responses": {
                    "200": {"description": what, "content": _json(schema)},
                    **errors(400),
                },
            }
        }

    paths = {
        "/api/chat": generation(chat_in, chat_out, [chat_chunk, chat_out, ollama_error]),
        "/api/generate": generation(
            gen_in, {"anyOf": [gen_out, load]}, [gen_chunk, gen_out, ollama_error]
        ),
        "/api/tags": get(tags, "the models this node answers as"),
        "/api/ps": get(ps, "the models loaded"),
        "/api/version": get(version, "the Ollama API version these routes follow"),
        "/api/show": {
            "post": {
                "security": security,
                "requestBody": {"required": True, "content": _json(show_in)},
                "responses": {
                    "200": {"description": "the model", "content": _json(show_out)},
                    **errors(400, 404, 413),
                },
            }
        },
        "/metrics": {
            "get": {
                "security": security,
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **errors(400),
                },
            }
        },
    }
    for path, item in paths.items():
        for method, operation in item.items():
            operation["operationId"] = f"{method}{path.replace('/', '_')}"
    return paths, components
