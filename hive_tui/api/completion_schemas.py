"""OpenAI's legacy completions bodies (``POST /v1/completions``), as msgspec types.

A prompt in, text out: hive's workers answer chat turns, so the prompt is asked as one user
turn and the voted answer is the text. One prompt per request (a string, or a list of one
string: what the ``openai`` client sends); ``echo``, ``suffix``, ``logprobs`` and ``best_of``
are accepted only at the values that ask for nothing, so no client is answered as if it
had got them.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from hive_tui.api.schemas import (
    HiveOptions,
    HiveVote,
    Int64,
    StreamOptions,
    TokenCount,
    Usage,
)


class CompletionRequest(msgspec.Struct):
    prompt: str | Annotated[list[str], Meta(min_length=1, max_length=1)]
    model: str | None = None
    max_tokens: TokenCount | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(gt=0.0, le=1.0)] | None = None
    stop: str | Annotated[list[str], Meta(max_length=16)] | None = None
    seed: Int64 | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: Annotated[int, Meta(ge=1, le=1)] | None = None
    best_of: Annotated[int, Meta(ge=1, le=1)] | None = None
    echo: Literal[False] | None = None
    suffix: None = None
    logprobs: None = None
    user: str | None = None
    hive: HiveOptions | None = None

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]


class CompletionChoice(msgspec.Struct):
    text: str
    index: int
    finish_reason: str | None
    logprobs: None = None


class Completion(msgspec.Struct):
    """A whole answer, and each streamed chunk (OpenAI uses the one shape for both)."""

    id: str
    created: int
    model: str
    choices: list[CompletionChoice]
    object: Literal["text_completion"] = "text_completion"
    usage: Usage | None = None
    hive: HiveVote | None = None  # the vote: in the whole answer, and the stream's last chunk
