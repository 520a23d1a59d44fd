"""Turn a llama-architecture GGUF into an mlx-lm model folder, once, in the user's cache.

So an MLX worker can run the very file a llama.cpp worker runs (the embedded SmolLM2 above
all) with no download. ``mx.load`` reads GGUF itself: Q4_0/Q4_1/Q8_0 tensors come back in
MLX's own packed affine form (weight, scales, biases), so conversion is renaming tensors and
writing the configuration mlx-lm expects, not re-quantising.

Two details matter:

* llama.cpp's converter permutes the rows of Q and K so that rotary embedding pairs adjacent
  dimensions ("traditional" RoPE in MLX's words); the folder must say ``rope_traditional``
  or the model attends to garbage (it produced nothing at all).
* Quantisation is per tensor (SmolLM2's Q4_1 file keeps its embedding in Q8_0); mlx-lm reads
  each tensor's bits and group size from its shapes, so one default block is enough.

The result lives at ``<user cache>/hive/mlx/<name>-<key>``, where the key covers the GGUF's
path, size and modification time and this converter's version, so a changed file or a fixed
converter converts again. Workers that start together convert once: a file lock serialises
them and the folder appears by an atomic rename.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

from hive_tui.backends import gguf_tokenizer
from hive_tui.errors import HiveError

# Bump when the output changes, so cached folders from an older converter are not reused.
CONVERTER_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
GGUF_GROUP_SIZE = 32

# GGUF tensor name (without the block prefix) -> mlx-lm Llama parameter name.
_TOP_LEVEL = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
_IN_BLOCK = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_BLOCK = re.compile(r"blk\.(\d+)\.(\w+)\.(weight|scales|biases|bias)$")
_PLAIN = re.compile(r"(\w+)\.(weight|scales|biases|bias)$")


class ConversionError(HiveError, ValueError):
    pass


def mlx_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("hive", appauthor=False)) / "mlx"


def converted_folder(gguf: Path, cache_dir: Path | None = None) -> Path:
    """Where the conversion of ``gguf`` lives (whether or not it exists yet)."""
    gguf = gguf.resolve()
    stat = gguf.stat()
    key = f"{gguf}|{stat.st_size}|{stat.st_mtime_ns}|v{CONVERTER_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", gguf.stem).strip("-") or "model"
    return (cache_dir or mlx_cache_dir()) / f"{name}-{digest}"


def ensure_converted(gguf: Path, cache_dir: Path | None = None) -> Path:
    """The mlx-lm folder for ``gguf``, converting it first if no earlier run did."""
    target = converted_folder(gguf, cache_dir)
    if (target / WEIGHTS_FILE).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / f"{target.name}.lock"):
        if (target / WEIGHTS_FILE).exists():  # another worker finished while we waited
            return target
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            convert_gguf(gguf, scratch)
            scratch.chmod(0o755)  # mkdtemp makes it private; a cache folder need not be
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def convert_gguf(gguf: Path, out: Path) -> None:
    """Write an mlx-lm model folder for a llama-architecture GGUF into ``out``."""
    import mlx.core as mx  # only a worker that runs MLX pays for importing it

    # mx.load is annotated with every shape it can return; return_metadata=True gives this one.
    loaded: tuple[dict[str, Any], dict[str, Any]] = mx.load(  # type: ignore[assignment]
        str(gguf), return_metadata=True
    )
    tensors, metadata = loaded
    arch = metadata.get("general.architecture")
    if arch != "llama":
        raise ConversionError(f"only llama-architecture GGUF converts to MLX so far, not {arch!r}")
    weights = {mlx_name(name): value for name, value in tensors.items()}
    config = model_config(metadata, weights)
    out.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(out / WEIGHTS_FILE), weights, metadata={"format": "mlx"})
    _write_json(out / "config.json", config)
    _write_json(out / "tokenizer.json", gguf_tokenizer.tokenizer_json(metadata))
    _write_json(out / "tokenizer_config.json", gguf_tokenizer.tokenizer_config(metadata))


def mlx_name(gguf_name: str) -> str:
    if m := _BLOCK.match(gguf_name):
        layer, part, kind = m.groups()
        if part in _IN_BLOCK:
            return f"model.layers.{layer}.{_IN_BLOCK[part]}.{kind}"
    elif (m := _PLAIN.match(gguf_name)) and m.group(1) in _TOP_LEVEL:
        return f"{_TOP_LEVEL[m.group(1)]}.{m.group(2)}"
    raise ConversionError(f"tensor {gguf_name!r} has no counterpart in mlx-lm's Llama")


def model_config(metadata: dict[str, Any], weights: dict[str, Any]) -> dict[str, Any]:
    def get(key: str, default: Any = None) -> Any:
        value = metadata.get(f"llama.{key}", default)
        if value is None:
            raise ConversionError(f"GGUF metadata lacks llama.{key}")
        return value.item() if hasattr(value, "item") else value

    heads = int(get("attention.head_count"))
    hidden = int(get("embedding_length"))
    config: dict[str, Any] = {
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": int(get("block_count")),
        "intermediate_size": int(get("feed_forward_length")),
        "num_attention_heads": heads,
        "num_key_value_heads": int(get("attention.head_count_kv", heads)),
        "head_dim": int(get("attention.key_length", hidden // heads)),
        "rms_norm_eps": float(get("attention.layer_norm_rms_epsilon", 1e-5)),
        "rope_theta": float(get("rope.freq_base", 10000.0)),
        "rope_traditional": True,  # see the module docstring
        "max_position_embeddings": int(get("context_length", 2048)),
        "vocab_size": len(metadata["tokenizer.ggml.tokens"]),
        "tie_word_embeddings": "lm_head.weight" not in weights,
        "eos_token_id": gguf_tokenizer.eos_token_ids(metadata),
    }
    if (scale := metadata.get("llama.rope.scaling.type")) not in (None, "none"):
        raise ConversionError(f"RoPE scaling {scale!r} is not supported by the converter yet")
    if quantization := _default_quantization(weights):
        config["quantization"] = quantization
    return config


def _default_quantization(weights: dict[str, Any]) -> dict[str, int] | None:
    """The bits of the first quantised projection; mlx-lm infers each tensor's own from its
    shapes, this is only the default it starts from."""
    for name in sorted(weights):
        if name.endswith(".scales") and ".layers." in name:
            scales, packed = weights[name], weights[name.removesuffix("scales") + "weight"]
            # GGUF quantises in groups of 32 values: a row of g groups packs 32*g*bits/32 words.
            return {"group_size": GGUF_GROUP_SIZE, "bits": packed.shape[-1] // scales.shape[-1]}
    return None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
