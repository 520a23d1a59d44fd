"""OpenAI's embeddings bodies (``POST /v1/embeddings``), as msgspec types.

``input`` is text: one string or a list of them. OpenAI also takes token arrays, but those
are ids of OpenAI's own tokenizer (tiktoken), not of the GGUF that embeds here, so reading
them as our ids would embed other words: they are refused with a 400 that says so
(``token_input``), and the schema does not offer them. ``dimensions`` below the model's
length cuts each vector to its first ``dimensions`` numbers and renormalises it (what OpenAI
does for its text-embedding-3 models); above it is a 400.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

MAX_INPUTS = 128  # texts in one request
MAX_INPUT_CHARS = 8192  # characters in one text (the model still reads at most n_ctx tokens)

Text = Annotated[str, Meta(min_length=1, max_length=MAX_INPUT_CHARS)]


class EmbeddingRequest(msgspec.Struct):
    input: Text | Annotated[list[Text], Meta(min_length=1, max_length=MAX_INPUTS)]
    model: str | None = None
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Meta(ge=1)] | None = None
    user: str | None = None

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else self.input


class Embedding(msgspec.Struct):
    index: int
    embedding: list[float] | str  # floats, or base64 of little-endian float32 bytes
    object: Literal["embedding"] = "embedding"


class EmbeddingUsage(msgspec.Struct):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(msgspec.Struct):
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
    object: Literal["list"] = "list"


def token_input(body: bytes) -> bool:
    """Whether a body that did not decode sent token arrays (``[1, 2]`` or ``[[1], [2]]``)."""
    try:
        raw: Any = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return False
    value = raw.get("input") if isinstance(raw, dict) else None
    if not isinstance(value, list) or not value:
        return False
    flat = [x for item in value for x in (item if isinstance(item, list) else [item])]
    return bool(flat) and all(isinstance(x, int) and not isinstance(x, bool) for x in flat)
