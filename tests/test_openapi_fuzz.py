"""schemathesis against `/openapi.json` of a real scripted node: no 5xx, every response valid.

``HIVE_FUZZ_EXAMPLES`` sets the cases per operation (default 500); each case is a real HTTP
request, and a valid chat request runs a real (scripted) vote.
"""

from __future__ import annotations

import os
import unicodedata

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hive_tui.api.openapi import build_openapi
from hive_tui.api.schemas import ChatCompletionRequest
from hive_tui.backends.scripted_engine import write_script

# The fuzz node's embedding vector length, asked of the node itself (fuzz_node).
EMBEDDING_DIM: list[int] = []
EXAMPLES = int(os.environ.get("HIVE_FUZZ_EXAMPLES", "500"))
# schemathesis' coverage phase (boundary values of every field, undeclared methods) costs about
# a minute on 2 cores whatever EXAMPLES is: off in CI, HIVE_FUZZ_COVERAGE=1 runs it too.
COVERAGE = os.environ.get("HIVE_FUZZ_COVERAGE", "0") == "1"


@pytest.fixture(scope="module")
def fuzz_node(tmp_path_factory):
    from tests.conftest import NodeProcess

    script = write_script(
        str(tmp_path_factory.mktemp("f") / "s.json"),
        answers=["Paris.", '<tool_call>{"name": "f", "arguments": {}}</tool_call>', "Paris"],
    )
    # The queue is wide enough that schemathesis (one request at a time) never sees a 503.
    node = NodeProcess(["--backend", "scripted", "--model", script, "--workers", "3"])
    node.wait_ready(3)
    vector = httpx.post(f"{node.url}/v1/embeddings", json={"input": "x"}, timeout=120).json()
    EMBEDDING_DIM[:] = [len(vector["data"][0]["embedding"])]
    yield node
    assert node.stop() == 0


@pytest.fixture(scope="module")
def api_schema(fuzz_node):
    loaded = schemathesis.openapi.from_url(f"{fuzz_node.url}/openapi.json")
    loaded.config.phases.coverage.enabled = COVERAGE
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
# Each operation's cases are one test: an operation whose cases run votes takes a few minutes
# on a busy 2-core box, past the suite's default limit of 300 s.
@pytest.mark.timeout(900)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_schema(case) -> None:
    response = case.call(timeout=30)
    # A tool_choice naming a function that `tools` does not offer is schema-valid (JSON Schema
    # cannot relate two fields) but refused with 400: only that one check is waived for it.
    # Likewise a response_format schema: /openapi.json says "an object", and one that is not a
    # JSON Schema (or that llama.cpp cannot make a grammar of) is refused with 400; so is a
    # JSON response_format with tools (a grammar would rule the tool calls out). So is an
    # embeddings request's `dimensions` over the model's vector length, which the schema cannot
    # know (the embedding model is picked at the first request): 400, as OpenAI answers; and an
    # input text the model's tokenizer reads as no tokens (SmolLM2 drops a few C0 controls),
    # 400 as llama-server answers an empty input.
    waived = (
        _names_an_unoffered_tool(case.body)
        or _asks_a_schema(case.body)
        or (_asks_json(case.body) and bool(case.body.get("tools")))
        or _dimensions_over_the_model(case.body)
        or _a_text_of_control_characters(case.body)
    )
    excluded = [positive_data_acceptance] if waived else []
    # And the scripted workers cannot follow a grammar: their text answers are no JSON, so a
    # JSON vote finds no valid answer and says so with a 503 (with a real model's grammar every
    # answer is valid: tests/test_structured_output.py).
    if _asks_json(case.body):
        excluded.append(not_a_server_error)
    case.validate_response(response, excluded_checks=excluded)


def _asks_json(body: object) -> bool:
    """OpenAI's response_format json_object/json_schema, or Ollama's format."""
    if not isinstance(body, dict):
        return False
    fmt = body.get("response_format")
    ollama_format = body.get("format")
    return (isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")) or (
        ollama_format == "json" or isinstance(ollama_format, dict)
    )


def _asks_a_schema(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    fmt = body.get("response_format")
    spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    return isinstance(body.get("format"), dict) or (
        isinstance(spec, dict) and spec.get("schema") is not None
    )


def _dimensions_over_the_model(body: object) -> bool:
    if not isinstance(body, dict) or "input" not in body:
        return False
    dimensions = body.get("dimensions")
    # 3186.0 is an integer to JSON Schema, and so to the node
    number = isinstance(dimensions, int | float) and not isinstance(dimensions, bool)
    return number and dimensions > EMBEDDING_DIM[0]


def _a_text_of_control_characters(body: object) -> bool:
    """An embeddings input text made only of control characters (those may have no tokens)."""
    texts = body.get("input") if isinstance(body, dict) else None
    texts = [texts] if isinstance(texts, str) else texts
    return isinstance(texts, list) and any(
        isinstance(t, str) and t and all(unicodedata.category(c) == "Cc" for c in t)
        for t in texts
    )


def _names_an_unoffered_tool(body: object) -> bool:
    """Schema-valid bodies only (negative cases may hold anything where a name should be)."""
    if not isinstance(body, dict) or not isinstance(body.get("tool_choice"), dict):
        return False
    choice, tools = body["tool_choice"], body.get("tools")
    if not isinstance(tools, list) or not tools:
        return False
    if choice.get("type") == "tool":  # Anthropic's: {"type": "tool", "name": ...}
        offered = [t.get("name") for t in tools if isinstance(t, dict)]
        return choice.get("name") not in offered
    function = choice.get("function")
    if not isinstance(function, dict):
        return False
    offered = [t["function"].get("name") for t in tools if isinstance(t, dict)
               and isinstance(t.get("function"), dict)]
    return function.get("name") not in offered


def test_openapi_is_generated_from_the_request_types() -> None:
    doc = build_openapi()
    body = doc["paths"]["/v1/chat/completions"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChatCompletionRequest"
    }
    request = doc["components"]["schemas"]["ChatCompletionRequest"]
    assert set(ChatCompletionRequest.__struct_fields__) == set(request["properties"])
    assert {"tools", "tool_choice"} <= set(request["properties"])


def test_openapi_describes_the_ollama_routes_and_metrics() -> None:
    doc = build_openapi(secured=True)
    chat = doc["paths"]["/api/chat"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OllamaChatRequest"
    }
    assert {"application/json", "application/x-ndjson"} <= set(chat["responses"]["200"]["content"])
    ollama = {"/api/generate", "/api/tags", "/api/show", "/api/ps", "/api/version"}
    assert ollama | {"/metrics"} <= set(doc["paths"])
    assert all(op["security"] == [{"bearer": []}] for op in doc["paths"]["/api/tags"].values())


def test_openapi_describes_the_anthropic_completions_and_embeddings_routes() -> None:
    doc = build_openapi(secured=True)
    for path, request in (
        ("/v1/messages", "MessagesRequest"),
        ("/v1/completions", "CompletionRequest"),
    ):
        post = doc["paths"][path]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{request}"
        }
        assert {"application/json", "text/event-stream"} <= set(post["responses"]["200"]["content"])
    embed = doc["paths"]["/v1/embeddings"]["post"]
    assert embed["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EmbeddingRequest"
    }
    assert embed["security"] == [{"bearer": []}] and "400" in embed["responses"]
    assert {"x_api_key": []} in doc["paths"]["/v1/messages"]["post"]["security"]
    assert doc["components"]["securitySchemes"]["x_api_key"]["name"] == "x-api-key"
