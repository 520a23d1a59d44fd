"""Counting a prompt's tokens in the node, for the context policies' decisions.

The node runs no model, but the tokenizer is cheap: the GGUF's vocabulary and merges rebuilt
as a Hugging Face ``tokenizers`` BPE (``backends.gguf_tokenizer``, checked token for token
against llama.cpp for the embedded model). Where that cannot be built (no ``tokenizers``, a
SentencePiece vocabulary, an MLX folder) the count is an estimate that errs long: the policies
then drop a little more than needed rather than leave a prompt the workers refuse.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence

from hive_tui import wire
from hive_tui.backends.gguf_tokenizer import tokenizer_json
from hive_tui.models.gguf_header import read_tokenizer_metadata

log = logging.getLogger("hive.context")

# The chat template's own tokens: ChatML's "<|im_start|>role\n" and "<|im_end|>\n" are 5 per
# message; Llama 3's header is 5 too. 8 leaves room for templates a little heavier.
TEMPLATE_TOKENS_PER_MESSAGE = 8
# The generation prompt, a BOS, and the default system prompt a template adds when the
# messages have none (SmolLM2's is 20 tokens).
TEMPLATE_TOKENS_FIXED = 40
# Without the tokenizer: English runs about 4 bytes a token in BPE vocabularies; 3 errs long.
ESTIMATE_BYTES_PER_TOKEN = 3

TextCounter = Callable[[str], int]


def _estimate(text: str) -> int:
    return -(-len(text.encode("utf-8", "replace")) // ESTIMATE_BYTES_PER_TOKEN)


@functools.cache
def text_counter(model_path: str) -> tuple[TextCounter, bool]:
    """(count the tokens of a text, whether the count is exact) for the model at the path."""
    if model_path.endswith(".gguf"):
        try:
            from tokenizers import Tokenizer

            meta = read_tokenizer_metadata(model_path)
            tokenizer = Tokenizer.from_str(json.dumps(tokenizer_json(meta)))
        # a tokenizer we cannot build (ImportError, GGUFHeaderError, UnsupportedTokenizer, or
        # whatever ``tokenizers`` raises on a vocabulary it rejects): estimate
        except Exception as exc:
            log.info("token counts are estimates for %s: %s", model_path, exc)
        else:
            return (lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)), True
    return _estimate, False


def message_tokens(messages: Sequence[wire.ChatMessage], count: TextCounter) -> list[int]:
    """Each message's tokens in the rendered prompt, its share of the template included."""
    return [count(m.content) + count(m.role) + TEMPLATE_TOKENS_PER_MESSAGE for m in messages]


def prompt_tokens(messages: Sequence[wire.ChatMessage], count: TextCounter) -> int:
    return sum(message_tokens(messages, count)) + TEMPLATE_TOKENS_FIXED
