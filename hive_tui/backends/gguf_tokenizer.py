"""A Hugging Face ``tokenizer.json`` rebuilt from the vocabulary a GGUF file carries.

llama.cpp keeps a byte-level BPE tokenizer as three lists (tokens, merges, token types) plus
the name of its pre-tokenizer; the ``tokenizers`` library wants one JSON document. The token
strings and merges are already in GPT-2's byte-to-unicode alphabet, so they copy over as they
are; what must be chosen with care is the pre-tokenizer (how text is split before BPE), which
llama.cpp only names. ``PRE_TOKENIZERS`` maps those names to the splits llama.cpp applies.

Only what has been checked against llama.cpp token for token is listed as such in the tests
(``smollm``, the embedded model); the others follow llama.cpp's published regular expressions.
"""

from __future__ import annotations

from typing import Any

from hive_tui.errors import HiveError

# llama.cpp token types (llama_token_type in llama.h).
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED = 1, 2, 3, 4

_GPT2_BYTE_LEVEL: dict[str, Any] = {
    "type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True,
}
_BYTE_LEVEL_NO_REGEX: dict[str, Any] = {**_GPT2_BYTE_LEVEL, "use_regex": False}

# The Llama 3 split; Qwen 2 is the same with single digits instead of runs of up to three.
_LLAMA3_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_REGEX = _LLAMA3_REGEX.replace(r"\p{N}{1,3}", r"\p{N}")


def _split_then_bytes(regex: str) -> dict[str, Any]:
    split = {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}
    return {"type": "Sequence", "pretokenizers": [split, _BYTE_LEVEL_NO_REGEX]}


_DIGITS_THEN_GPT2 = {
    "type": "Sequence",
    "pretokenizers": [{"type": "Digits", "individual_digits": True}, _GPT2_BYTE_LEVEL],
}

# tokenizer.ggml.pre -> the equivalent Hugging Face pre-tokenizer.
PRE_TOKENIZERS: dict[str, dict[str, Any]] = {
    "default": _GPT2_BYTE_LEVEL,
    "gpt-2": _GPT2_BYTE_LEVEL,
    "smollm": _DIGITS_THEN_GPT2,
    "starcoder": _DIGITS_THEN_GPT2,
    "refact": _DIGITS_THEN_GPT2,
    "llama-bpe": _split_then_bytes(_LLAMA3_REGEX),
    "llama3": _split_then_bytes(_LLAMA3_REGEX),
    "qwen2": _split_then_bytes(_QWEN2_REGEX),
}


class UnsupportedTokenizer(HiveError, ValueError):
    pass


def tokenizer_json(metadata: dict[str, Any]) -> dict[str, Any]:
    """The ``tokenizer.json`` document for a GGUF's tokenizer metadata."""
    kind = metadata.get("tokenizer.ggml.model")
    if kind != "gpt2":
        raise UnsupportedTokenizer(
            f"only byte-level BPE (gpt2) GGUF vocabularies convert to MLX so far, not {kind!r}"
        )
    pre = metadata.get("tokenizer.ggml.pre", "default")
    if pre not in PRE_TOKENIZERS:
        raise UnsupportedTokenizer(
            f"unknown pre-tokenizer {pre!r}; known: {', '.join(sorted(PRE_TOKENIZERS))}"
        )
    tokens: list[str] = list(metadata["tokenizer.ggml.tokens"])
    types = _as_ints(metadata.get("tokenizer.ggml.token_type"), len(tokens))
    merges: list[str] = list(metadata.get("tokenizer.ggml.merges", []))
    added = [
        {
            "id": i, "content": tokens[i], "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": types[i] == TOKEN_CONTROL,
        }
        for i in range(len(tokens))
        if types[i] in (TOKEN_CONTROL, TOKEN_USER_DEFINED)
    ]
    bos = _token_id(metadata, "bos")
    add_bos = bool(_scalar(metadata.get("tokenizer.ggml.add_bos_token", False)))
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": PRE_TOKENIZERS[pre],
        "post_processor": _bos_processor(tokens[bos], bos) if add_bos and bos is not None else None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {token: i for i, token in enumerate(tokens)},
            # Older GGUFs store a merge as "a b"; the pair form avoids any ambiguity.
            "merges": [m.split(" ", 1) for m in merges],
        },
    }


def tokenizer_config(metadata: dict[str, Any]) -> dict[str, Any]:
    """``tokenizer_config.json``: special tokens and the chat template for transformers."""
    tokens = metadata["tokenizer.ggml.tokens"]
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "clean_up_tokenization_spaces": False,
        "add_bos_token": bool(_scalar(metadata.get("tokenizer.ggml.add_bos_token", False))),
        "add_eos_token": False,
    }
    for role in ("bos", "eos", "unknown", "padding"):
        token_id = _token_id(metadata, role)
        if token_id is not None and token_id < len(tokens):
            key = {"unknown": "unk_token", "padding": "pad_token"}.get(role, f"{role}_token")
            config[key] = tokens[token_id]
    if template := metadata.get("tokenizer.chat_template"):
        config["chat_template"] = template
    return config


def eos_token_ids(metadata: dict[str, Any]) -> list[int]:
    """End-of-generation tokens: the declared EOS, and EOT where a model has a separate one."""
    found = [_token_id(metadata, role) for role in ("eos", "eot", "eom")]
    return sorted({t for t in found if t is not None})


def _token_id(metadata: dict[str, Any], role: str) -> int | None:
    value = metadata.get(f"tokenizer.ggml.{role}_token_id")
    return None if value is None else int(_scalar(value))


def _bos_processor(bos_text: str, bos_id: int) -> dict[str, Any]:
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos_text, "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos_text, "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": bos_text, "type_id": 1}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos_text: {"id": bos_text, "ids": [bos_id], "tokens": [bos_text]}},
    }


def _scalar(value: Any) -> Any:
    # mx.load hands numbers back as 0-d arrays; .item() works on those and on numpy scalars.
    return value.item() if hasattr(value, "item") else value


def _as_ints(value: Any, n: int) -> list[int]:
    if value is None:
        return [TOKEN_NORMAL] * n
    return [int(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
