"""schemathesis against `/openapi.json` of a real scripted node: no 5xx, every response valid.

``HIVE_FUZZ_EXAMPLES`` sets the cases per operation (default 500); each case is a real HTTP
request, and a valid chat request runs a real (scripted) vote.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hive_tui.api.openapi import build_openapi
from hive_tui.api.schemas import ChatCompletionRequest
from hive_tui.backends.scripted_engine import write_script

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
    yield node
    assert node.stop() == 0


@pytest.fixture(scope="module")
def api_schema(fuzz_node):
    loaded = schemathesis.openapi.from_url(f"{fuzz_node.url}/openapi.json")
    loaded.config.phases.coverage.enabled = COVERAGE
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
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
    excluded = [positive_data_acceptance] if _names_an_unoffered_tool(case.body) else []
    case.validate_response(response, excluded_checks=excluded)


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
