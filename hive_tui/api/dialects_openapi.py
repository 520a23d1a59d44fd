"""``/v1/messages`` (Anthropic), ``/v1/completions`` (OpenAI's legacy) and ``/v1/embeddings``
in ``/openapi.json``, described from the msgspec types that validate their requests, as
``openapi.py`` does for the chat route. Each route's errors are described in the shape it gives
them: Anthropic's on ``/v1/messages`` (the guard's refusals too), OpenAI's on the others.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hive_tui.api import anthropic_schemas as an
from hive_tui.api import schemas
from hive_tui.api.completion_schemas import Completion, CompletionRequest
from hive_tui.api.embeddings_schemas import EmbeddingList, EmbeddingRequest

REF = "#/components/schemas/{name}"
ERRORS = {
    400: "bad request",
    401: "API key missing or wrong",
    413: "body too large",
    503: "busy or no worker available",
}
# Anthropic's clients send the key as x-api-key (the scheme is declared by build_openapi).
X_API_KEY = {"x_api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _events(data: dict[str, Any], done: bool) -> dict[str, Any]:
    """One server-sent event (OpenAPI before 3.2: ``schema`` is one event)."""
    payload = {"type": "string", "contentMediaType": "application/json", "contentSchema": data}
    return {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "properties": {
                    "event": {"type": "string"},
                    "data": {"anyOf": [{"const": "[DONE]"}, payload]} if done else payload,
                },
                "required": ["data"],
            }
        }
    }


def dialect_paths(
    security: list[dict[str, list[str]]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(paths, component schemas) to merge into the OpenAPI document."""
    types = [
        an.MessagesRequest,
        an.Message,
        an.StreamEvent,
        an.AnthropicError,
        CompletionRequest,
        Completion,
        EmbeddingRequest,
        EmbeddingList,
        schemas.ErrorBody,
    ]
    refs, components = msgspec.json.schema_components(types, ref_template=REF)
    (messages_in, message, event, an_error, completion_in, completion, *embedding, error) = refs
    embed_in, embed_out = embedding
    secured = bool(security)
    codes = [400, 401, 413, 503] if secured else [400, 413, 503]

    def errors(body: dict[str, Any]) -> dict[str, Any]:
        return {str(c): {"description": ERRORS[c], "content": _json(body)} for c in codes}

    paths = {
        "/v1/messages": {
            "post": {
                "operationId": "createMessage",
                "security": [*security, {"x_api_key": []}] if secured else [],
                "requestBody": {"required": True, "content": _json(messages_in)},
                "responses": {
                    "200": {
                        "description": "the voted message (JSON, or SSE when stream=true)",
                        "content": {**_json(message), **_events(event, done=False)},
                    },
                    **errors(an_error),
                },
            }
        },
        "/v1/completions": {
            "post": {
                "operationId": "createCompletion",
                "security": security,
                "requestBody": {"required": True, "content": _json(completion_in)},
                "responses": {
                    "200": {
                        "description": "the voted text (JSON, or SSE when stream=true)",
                        "content": {
                            **_json(completion),
                            **_events({"anyOf": [completion, error]}, done=True),
                        },
                    },
                    **errors(error),
                },
            }
        },
        "/v1/embeddings": {
            "post": {
                "operationId": "createEmbedding",
                "security": security,
                "requestBody": {"required": True, "content": _json(embed_in)},
                "responses": {
                    "200": {"description": "one vector per input", "content": _json(embed_out)},
                    **errors(error),
                },
            }
        },
    }
    return paths, components
