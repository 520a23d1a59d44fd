"""``/openapi.json``: the API described from the very msgspec types that validate requests.

``msgspec.json.schema_components`` turns ``schemas.ChatCompletionRequest`` (what requests are
decoded into) and the response types into JSON Schema; this module only wraps them in the
OpenAPI 3.1 envelope (paths, status codes, media types). A field added to a request type
shows up here with no second place to update.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hive_tui.api import schemas
from hive_tui.api.dialects_openapi import X_API_KEY, dialect_paths
from hive_tui.api.ollama_embed import embed_paths
from hive_tui.api.ollama_openapi import ollama_paths

REF = "#/components/schemas/{name}"


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def build_openapi(version: str = "0.1.0", secured: bool = False) -> dict[str, Any]:
    (request, completion, chunk, models, health, liveness, error), components = (
        msgspec.json.schema_components(
            [
                schemas.ChatCompletionRequest,
                schemas.ChatCompletion,
                schemas.ChatCompletionChunk,
                schemas.ModelList,
                schemas.HealthBody,
                schemas.LivenessBody,
                schemas.ErrorBody,
            ],
            ref_template=REF,
        )
    )
    err = {"content": _json(error)}

    def errors(*codes: int) -> dict[str, Any]:
        text = {
            400: "bad request",
            401: "API key missing or wrong",
            404: "not found",
            413: "body too large",
            503: "busy or no worker available",
        }
        return {str(c): {"description": text[c], **err} for c in codes}

    guarded = errors(400, 401) if secured else errors(400)
    security: list[dict[str, list[str]]] = [{"bearer": []}] if secured else []
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "hive node",
            "version": version,
            "description": "OpenAI-compatible chat completions answered by a swarm vote.",
        },
        "paths": {
            "/v1/chat/completions": {
                "post": {
                    "operationId": "createChatCompletion",
                    "security": security,
                    "requestBody": {"required": True, "content": _json(request)},
                    "responses": {
                        "200": {
                            "description": "the voted answer (JSON, or SSE when stream=true)",
                            "content": {
                                **_json(completion),
                                # Each server-sent event (OpenAPI before 3.2: ``schema`` is
                                # one event); its data is a chunk, or "[DONE]" at the end.
                                "text/event-stream": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "event": {"type": "string"},
                                            "data": {
                                                "anyOf": [
                                                    {"const": "[DONE]"},
                                                    {
                                                        "type": "string",
                                                        "contentMediaType": "application/json",
                                                        "contentSchema": {"anyOf": [chunk, error]},
                                                    },
                                                ]
                                            },
                                        },
                                        "required": ["data"],
                                    }
                                },
                            },
                        },
                        **guarded,
                        **errors(413, 503),
                    },
                }
            },
            "/v1/models": {
                "get": {
                    "operationId": "listModels",
                    "security": security,
                    "responses": {
                        "200": {"description": "models", "content": _json(models)},
                        **guarded,
                    },
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "node health (liveness only without the key)",
                            "content": _json({"oneOf": [health, liveness]}),
                        },
                        **errors(400),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "security": security,
                    "responses": {
                        "200": {
                            "description": "this document",
                            "content": _json({"type": "object"}),
                        },
                        **guarded,
                    },
                }
            },
        },
        "components": {"schemas": components},
    }
    more_paths, more_components = ollama_paths(security)  # Ollama's API and /metrics
    doc["paths"].update(more_paths)
    doc["components"]["schemas"].update(more_components)
    more_paths, more_components = dialect_paths(security)  # /v1/messages, /v1/completions
    doc["paths"].update(more_paths)
    doc["components"]["schemas"].update(more_components)
    more_paths, more_components = embed_paths(security)  # Ollama's /api/embed
    doc["paths"].update(more_paths)
    doc["components"]["schemas"].update(more_components)
    if secured:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["components"]["securitySchemes"].update(X_API_KEY)
    return doc
