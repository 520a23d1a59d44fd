"""The OpenAI-compatible request and response bodies, as msgspec types.

These shapes are OpenAI's, not ours (hive's own protocol is ``hive_tui.wire``): requests are
validated by decoding into ``ChatCompletionRequest``; unknown fields that OpenAI clients send
(``user``, ``stream_options``...) are accepted and ignored, as other OpenAI-style servers do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta

from hive_tui import consensus, wire

T = TypeVar("T")
Role = Literal["system", "user", "assistant", "tool", "developer"]


# Only text parts are answered; the schema says so, and the request handling refuses any other
# (``image_url``...) with a 400 that names the part (``handling.chat_job``).
PartType = Annotated[str, Meta(extra_json_schema={"enum": ["text"]})]


class ContentPart(msgspec.Struct):
    type: PartType
    text: str | None = None


# --- tools: OpenAI's function-calling shapes ----------------------------------------
ToolName = Annotated[str, Meta(min_length=1, max_length=64, pattern="^[A-Za-z0-9_.-]+$")]


class FunctionCall(msgspec.Struct):
    name: str
    arguments: str  # a JSON object, as text (OpenAI's choice)


class ToolCallOut(msgspec.Struct):
    id: str
    function: FunctionCall
    type: Literal["function"] = "function"


class FunctionDef(msgspec.Struct):
    name: ToolName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDef(msgspec.Struct):
    type: Literal["function"]
    function: FunctionDef


class NamedFunction(msgspec.Struct):
    name: ToolName


class NamedToolChoice(msgspec.Struct):
    type: Literal["function"]
    function: NamedFunction


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice
# --- end tools ----------------------------------------------------------------------


class RequestMessage(msgspec.Struct):
    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: Annotated[list[ToolCallOut], Meta(max_length=64)] | None = None
    tool_call_id: str | None = None  # a tool message: the call it answers

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content if p.type == "text")


# The schema names the registered strategies, so /openapi.json lists exactly what is accepted;
# the check itself is the node's (``resolve_request``), so a request is checked in one place.
StrategyName = Annotated[str, Meta(extra_json_schema={"enum": consensus.strategy_names()})]
Int64 = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
TokenCount = Annotated[int, Meta(ge=1, le=2**31 - 1)]


class HiveOptions(msgspec.Struct, forbid_unknown_fields=True):
    strategy: StrategyName | None = None
    workers: Annotated[int, Meta(ge=1, le=256)] | None = None
    # Stop the workers still generating once a strict majority agrees; None: the node's setting
    early_exit: bool | None = None
    # A prompt over the context: "error" (400, the default, as OpenAI), "truncate", "compress"
    context: Literal["error", "truncate", "compress"] | None = None
    # Ground the answer on this knowledge base of the node (``hive index add``): its passages
    # go into the prompt and are listed in the response's ``hive.passages``.
    kb: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] | None = None
    # With "stream": true: "vote" (the default) streams the voted answer once decided; "live"
    # streams the first worker to speak as it writes, and says at the end whether it won.
    stream: Literal["vote", "live"] | None = None


class StreamOptions(msgspec.Struct):
    include_usage: bool | None = None  # one more chunk at the end, with the token counts


class JsonSchemaFormat(msgspec.Struct):
    """OpenAI's ``response_format.json_schema``: the schema every answer must validate against
    (none: any JSON object)."""

    name: Annotated[str, Meta(min_length=1, max_length=64, pattern="^[A-Za-z0-9_-]+$")]
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None  # accepted: hive's answers always follow the schema's grammar


class TextFormat(msgspec.Struct, tag_field="type", tag="text"):
    """Plain text, the default."""


class JsonObjectFormat(msgspec.Struct, tag_field="type", tag="json_object"):
    """Any JSON object."""


class JsonSchemaResponseFormat(msgspec.Struct, tag_field="type", tag="json_schema"):
    """A JSON object valid against ``json_schema.schema``."""

    json_schema: JsonSchemaFormat


ResponseFormat = TextFormat | JsonObjectFormat | JsonSchemaResponseFormat


class ChatCompletionRequest(msgspec.Struct):
    messages: Annotated[list[RequestMessage], Meta(min_length=1, max_length=1024)]
    model: str | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(gt=0.0, le=1.0)] | None = None
    top_k: TokenCount | None = None  # not OpenAI's: llama.cpp's server and Anthropic's take it
    min_p: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None  # not OpenAI's: llama.cpp's, vLLM's
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = None
    stop: str | Annotated[list[str], Meta(max_length=16)] | None = None
    seed: Int64 | None = None
    stream: bool = False
    n: Annotated[int, Meta(ge=1, le=1)] | None = None
    hive: HiveOptions | None = None
    tools: Annotated[list[ToolDef], Meta(max_length=128)] | None = None  # offered to the model
    tool_choice: ToolChoice | None = None  # none, auto, required or one function
    parallel_tool_calls: bool | None = None  # accepted for OpenAI clients, not used
    stream_options: StreamOptions | None = None
    response_format: ResponseFormat | None = None

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    return value


def decode_request(body: bytes) -> ChatCompletionRequest:
    """Decode and validate a request body (raises msgspec.DecodeError / ValidationError).

    JSON Schema (and so /openapi.json) counts ``5.0`` as an integer; msgspec's strict mode
    does not. Integral floats become ints first, so what the schema allows is what we accept
    (msgspec takes an int wherever a float is expected).
    """
    return decode_as(body, ChatCompletionRequest)


def decode_as(body: bytes, type_: type[T]) -> T:
    """``body`` as ``type_`` (any route's request type), read as ``decode_request`` says."""
    return msgspec.convert(_integral_floats_as_ints(msgspec.json.decode(body)), type_)


# ----------------------------------------------------------------------- responses


class ErrorDetail(msgspec.Struct):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ContextErrorDetail(ErrorDetail):
    """``code: "context_length_exceeded"`` with the counts (the prompt's: a lower bound
    unless the model's tokenizer counted it)."""

    prompt_tokens: int = 0
    max_context: int = 0


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


class CandidateView(msgspec.Struct):
    worker_id: str
    node_id: str
    text: str
    score: float
    tokens: int
    latency_s: float
    finish_reason: str
    mean_logprob: float | None
    winner: bool
    stop_sequence: str | None = None  # the request's stop string that ended it, if one did


class NodeVoteView(msgspec.Struct):
    """One node's local vote in a federated answer (phase one)."""

    node_id: str
    name: str
    state: str  # "ok" | "missing" | "error"
    weight: int  # workers that agreed on its local winner: its weight in the global vote
    agreement: float
    winner: str | None  # worker id of its local winner
    error: str | None
    latency_s: float
    candidates: list[CandidateView]


class ToolVoteView(msgspec.Struct):
    """How the workers voted on tool calls (a call runs on a strict majority of workers)."""

    outcome: str  # "call" | "text" | "no_majority"
    supporters: list[int]  # candidate indices behind the outcome
    proposals: int  # candidates that proposed a call
    distinct: int  # distinct calls proposed
    note: str


class PassageView(msgspec.Struct):
    """One retrieved passage the prompt carried: its file, lines and fused retrieval score."""

    kb: str
    path: str
    start_line: int
    end_line: int
    score: float


class StreamedView(msgspec.Struct):
    """A live stream's worker (``hive.stream`` "live") and whether its answer won the vote."""

    worker: str
    won: bool


class HiveVote(msgspec.Struct):
    strategy: str
    agreement: float  # 0..1: agree_count / number of candidates
    winner: str  # worker id of the winning candidate
    seed: int
    degraded: bool
    missing: list[str]
    groups: list[list[int]]
    candidates: list[CandidateView]
    # Federated answers only: then the fields above describe the global vote (candidates are
    # the nodes' local winners, missing the nodes without a result) and ``nodes`` each node's.
    winner_node: str | None = None
    nodes: list[NodeVoteView] | None = None
    tool_vote: ToolVoteView | None = None  # present when tools were offered
    agree_count: int = 0  # how many candidates gave the winner's answer (k of N)
    mean_similarity: float = 0.0  # the winner's mean similarity to the other candidates
    agreement_text: str = ""  # "3 of 5 agree, likely right (mean similarity 0.72)", to show
    # "likely right" (a strict majority gave the winner's answer), "uncertain" or "no answer":
    # calibrated on the test split of `hive bench quality` (docs/quality.md)
    verdict: str = ""
    # What the context policy (``hive.context``) did to the messages; None: nothing asked
    context: wire.ContextReport | None = None
    passages: list[PassageView] | None = None  # present when the request named hive.kb
    streamed: StreamedView | None = None  # a live stream's worker, and whether it won


class AssistantMessage(msgspec.Struct):
    role: str
    content: str | None
    tool_calls: list[ToolCallOut] | None = None  # the calls the workers voted for


class Choice(msgspec.Struct):
    index: int
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class PromptTokensDetails(msgspec.Struct):
    cached_tokens: int = 0  # found in a worker's prefix cache, not evaluated again


class Usage(msgspec.Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None


class ChatCompletion(msgspec.Struct):
    id: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    hive: HiveVote
    object: str = "chat.completion"
    system_fingerprint: str | None = None


class ToolCallDelta(msgspec.Struct):
    index: int
    id: str
    function: FunctionCall
    type: Literal["function"] = "function"


class Delta(msgspec.Struct, omit_defaults=True):
    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None  # the voted calls, in one chunk


class ChunkChoice(msgspec.Struct):
    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatCompletionChunk(msgspec.Struct):
    """Every field is sent, ``object`` included (clients check it), ``usage`` and ``hive``
    as null until the end."""

    id: str
    created: int
    model: str
    choices: list[ChunkChoice]
    object: str = "chat.completion.chunk"
    hive: HiveVote | None = None
    usage: Usage | None = None  # the last chunk's, with stream_options.include_usage


class ModelCard(msgspec.Struct):
    id: str
    created: int
    owned_by: str = "hive"
    object: str = "model"
    max_model_len: int | None = None  # the context length, in tokens (as vLLM names it)


class ModelList(msgspec.Struct):
    data: list[ModelCard]
    object: str = "list"


# What ``GET /health`` answers (``Node.health``), described for /openapi.json: the wire type
# itself, so the description cannot drift from the body.
HealthBody = wire.NodeHealth
# Without the API key a node that has one answers liveness only.
LivenessBody = wire.NodeLiveness
