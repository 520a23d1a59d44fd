"""Does a prompt fit the workers' context? Decided in the node, before any worker runs.

The node does not load the model's tokenizer (native code runs in child processes), so it
counts a **lower bound** of the prompt's tokens: no token of the model is longer than its
longest vocabulary entry, read once from the GGUF header (``models.gguf_header``), so a text
of B bytes is at least B / longest tokens; and every message costs the chat template at least
``TEMPLATE_TOKENS_PER_MESSAGE`` tokens of its own (a role marker and an end marker). A prompt
whose lower bound leaves no room for one new token cannot fit: it is refused with the counts
(the API: 400, ``code: "context_length_exceeded"``). A prompt the bound lets through but the
model's own tokenizer finds too long still fails in the workers, with the exact count.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from hive_tui import wire
from hive_tui.models.gguf_header import GGUFHeaderError, longest_token_bytes
from hive_tui.swarm.swarm import ContextLengthExceeded

# Without a vocabulary to read (scripted workers, an MLX folder): a bound no real tokenizer's
# longest token reaches, so the estimate stays a lower bound.
FALLBACK_TOKEN_BYTES = 256
# ChatML wraps each message in <|im_start|>role\n ... <|im_end|>\n; Llama 3 and others use as
# many markers. Two is a floor every chat template hive renders respects.
TEMPLATE_TOKENS_PER_MESSAGE = 2


@functools.cache
def token_bytes_bound(model_path: str) -> int:
    """The longest token of the model at ``model_path``, in bytes (an upper bound)."""
    if not model_path.endswith(".gguf"):
        return FALLBACK_TOKEN_BYTES
    try:
        longest = longest_token_bytes(model_path)
    except (OSError, GGUFHeaderError):
        return FALLBACK_TOKEN_BYTES
    return max(1, longest) if longest else FALLBACK_TOKEN_BYTES


def prompt_tokens_at_least(
    messages: Sequence[wire.ChatMessage],
    tools: Sequence[wire.ToolSpec] = (),
    token_bytes: int = FALLBACK_TOKEN_BYTES,
) -> int:
    size = sum(len(m.content.encode("utf-8", "replace")) for m in messages)
    size += sum(len(t.name) + len(t.description) + len(t.parameters_json) for t in tools)
    return -(-size // token_bytes) + TEMPLATE_TOKENS_PER_MESSAGE * len(messages)


def check_prompt_fits(
    messages: Sequence[wire.ChatMessage],
    n_ctx: int,
    tools: Sequence[wire.ToolSpec] = (),
    token_bytes: int = FALLBACK_TOKEN_BYTES,
) -> None:
    """Raise ``ContextLengthExceeded`` when the prompt leaves no room for one new token."""
    tokens = prompt_tokens_at_least(messages, tools, token_bytes)
    if tokens >= n_ctx:
        raise ContextLengthExceeded(tokens, n_ctx)

