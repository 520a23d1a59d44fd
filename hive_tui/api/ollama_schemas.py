"""Ollama's API bodies (``/api/chat``, ``/api/generate``, ``/api/tags``, ``/api/show``,
``/api/ps``, ``/api/version``) as msgspec types, with Ollama's field names.

These shapes are Ollama's (github.com/ollama/ollama, docs/api.md): requests are validated by
decoding into them, as the OpenAI route's are; fields Ollama clients send that a vote has no
use for (``keep_alive``, ``options.num_ctx``, ``raw``...) are accepted and ignored. Fields
hive cannot honour are declared with a bound that refuses them (``images``, ``tools``: at
most 0 items), so a client is told with a 400 instead of being answered as if it had not
sent them. Durations are nanoseconds, as Ollama's are.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from hive_tui.api.schemas import HiveOptions, HiveVote, Int64

OllamaRole = Literal["system", "user", "assistant", "tool"]
# Refused with a 400: hive votes on text; tool calls are voted on /v1/chat/completions.
Unsupported = Annotated[list[Any], Meta(max_length=0)]
ModelName = Annotated[str, Meta(max_length=256)]


class OllamaOptions(msgspec.Struct):
    """The Modelfile parameters a vote uses; the others (num_ctx, repeat_penalty...) are the
    node's own business and ignored."""

    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(gt=0.0, le=1.0)] | None = None
    top_k: Annotated[int, Meta(ge=0, le=2**31 - 1)] | None = None
    min_p: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None
    seed: Int64 | None = None
    # Ollama: -1 generates until the model stops, -2 until the context is full; both (and 0)
    # mean "the node's max_tokens" here, which is bounded by the workers' context anyway.
    num_predict: Annotated[int, Meta(ge=-2, le=2**31 - 1)] | None = None
    stop: Annotated[list[str], Meta(max_length=16)] | None = None


class OllamaMessage(msgspec.Struct, omit_defaults=True):
    role: OllamaRole
    content: str = ""
    images: Unsupported | None = None
    tool_calls: Unsupported | None = None
    tool_name: str | None = None
    thinking: str | None = None


# Structured output as Ollama asks for it: "json" (any JSON object) or a JSON Schema.
OllamaFormat = Literal["", "json"] | dict[str, Any]


class OllamaChatRequest(msgspec.Struct):
    model: ModelName
    messages: Annotated[list[OllamaMessage], Meta(min_length=1, max_length=1024)]
    stream: bool = True  # Ollama streams unless told not to
    options: OllamaOptions | None = None
    tools: Unsupported | None = None
    keep_alive: str | float | None = None  # the workers stay loaded: accepted, ignored
    hive: HiveOptions | None = None  # strategy, workers, early_exit: as on the OpenAI route
    format: OllamaFormat | None = None


class OllamaGenerateRequest(msgspec.Struct):
    model: ModelName
    prompt: str = ""  # empty: Ollama's "load the model" request, answered at once
    system: str | None = None
    stream: bool = True
    options: OllamaOptions | None = None
    images: Unsupported | None = None
    keep_alive: str | float | None = None
    hive: HiveOptions | None = None
    format: OllamaFormat | None = None


class OllamaModelRequest(msgspec.Struct):
    """``/api/show``'s body."""

    model: ModelName
    verbose: bool | None = None


# ----------------------------------------------------------------------- responses


class OllamaError(msgspec.Struct):
    error: str


class OllamaReply(msgspec.Struct):
    role: str
    content: str


class Stats(msgspec.Struct, kw_only=True):
    """The timings Ollama ends every answer with (nanoseconds), here of the winning worker;
    ``total_duration`` is the whole vote's."""

    done_reason: str
    total_duration: int
    load_duration: int = 0
    prompt_eval_count: int
    prompt_eval_duration: int
    eval_count: int
    eval_duration: int


class OllamaChatChunk(msgspec.Struct, omit_defaults=True):
    """One NDJSON line of a streamed chat: a piece of the winner's text (``done`` false)."""

    model: str
    created_at: str
    message: OllamaReply
    done: bool = False


class OllamaChatResponse(Stats, kw_only=True):
    """The whole answer (``stream: false``), or a stream's last line (empty content)."""

    model: str
    created_at: str
    message: OllamaReply
    done: bool = True
    hive: HiveVote | None = None  # the vote, as on the OpenAI route


class OllamaGenerateChunk(msgspec.Struct, omit_defaults=True):
    model: str
    created_at: str
    response: str
    done: bool = False


class OllamaGenerateResponse(Stats, kw_only=True):
    model: str
    created_at: str
    response: str
    done: bool = True
    hive: HiveVote | None = None


class OllamaLoadResponse(msgspec.Struct):
    """``/api/generate`` with an empty prompt: the workers are loaded already."""

    model: str
    created_at: str
    response: str = ""
    done: bool = True
    done_reason: str = "load"


class ModelDetails(msgspec.Struct):
    parent_model: str = ""
    format: str = "gguf"
    family: str = ""
    families: list[str] = []
    parameter_size: str = ""
    quantization_level: str = ""


class OllamaModel(msgspec.Struct):
    """An entry of ``/api/tags``."""

    name: str
    model: str
    modified_at: str
    size: int
    digest: str
    details: ModelDetails


class OllamaTags(msgspec.Struct):
    models: list[OllamaModel]


class OllamaRunning(msgspec.Struct):
    """An entry of ``/api/ps``: the workers are loaded for as long as the node runs."""

    name: str
    model: str
    size: int
    digest: str
    details: ModelDetails
    expires_at: str
    size_vram: int
    context_length: int


class OllamaProcesses(msgspec.Struct):
    models: list[OllamaRunning]


class OllamaShowResponse(msgspec.Struct):
    modelfile: str
    parameters: str
    template: str
    details: ModelDetails
    model_info: dict[str, Any]
    capabilities: list[str]
    modified_at: str


class OllamaVersion(msgspec.Struct):
    version: str
