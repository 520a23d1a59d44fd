"""The OpenAI-compatible request and response bodies, as msgspec types.

These shapes are OpenAI's, not ours (hive's own protocol is ``hive_tui.wire``): requests are
validated by decoding into ``ChatCompletionRequest``; unknown fields that OpenAI clients send
(``user``, ``stream_options``...) are accepted and ignored, as other OpenAI-style servers do.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Role = Literal["system", "user", "assistant", "tool", "developer"]


class ContentPart(msgspec.Struct):
    type: str
    text: str | None = None


class RequestMessage(msgspec.Struct):
    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content if p.type == "text")


class HiveOptions(msgspec.Struct, forbid_unknown_fields=True):
    strategy: str | None = None
    workers: Annotated[int, Meta(ge=1, le=256)] | None = None


class ChatCompletionRequest(msgspec.Struct):
    messages: Annotated[list[RequestMessage], Meta(min_length=1, max_length=1024)]
    model: str | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(gt=0.0, le=1.0)] | None = None
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1)] | None = None
    stop: str | Annotated[list[str], Meta(max_length=16)] | None = None
    seed: int | None = None
    stream: bool = False
    n: Annotated[int, Meta(ge=1, le=1)] | None = None
    hive: HiveOptions | None = None

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


# ----------------------------------------------------------------------- responses


class ErrorDetail(msgspec.Struct):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


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


class HiveVote(msgspec.Struct):
    strategy: str
    agreement: float  # 0..1: agree_count / number of candidates
    winner: str  # worker id of the winning candidate
    seed: int
    degraded: bool
    missing: list[str]
    groups: list[list[int]]
    candidates: list[CandidateView]
    agree_count: int = 0  # how many candidates gave the winner's answer (k of N)
    mean_similarity: float = 0.0  # the winner's mean similarity to the other candidates
    agreement_text: str = ""  # "3 of 5 agree (mean similarity 0.72)", ready to show


class AssistantMessage(msgspec.Struct):
    role: str
    content: str


class Choice(msgspec.Struct):
    index: int
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class Usage(msgspec.Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(msgspec.Struct):
    id: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    hive: HiveVote
    object: str = "chat.completion"
    system_fingerprint: str | None = None


class Delta(msgspec.Struct, omit_defaults=True):
    role: str | None = None
    content: str | None = None


class ChunkChoice(msgspec.Struct):
    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatCompletionChunk(msgspec.Struct, omit_defaults=True):
    id: str
    created: int
    model: str
    choices: list[ChunkChoice]
    object: str = "chat.completion.chunk"
    hive: HiveVote | None = None


class ModelCard(msgspec.Struct):
    id: str
    created: int
    owned_by: str = "hive"
    object: str = "model"


class ModelList(msgspec.Struct):
    data: list[ModelCard]
    object: str = "list"
