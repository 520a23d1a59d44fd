"""Describe a GGUF file from its header (metadata and tensor shapes; no tensor data is read)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hive_tui.errors import HiveError
from hive_tui.models.gguf_header import GGUFHeaderError, read_gguf_header
from hive_tui.wire import ModelFile

_SIZE_LABEL = re.compile(r"^(?:(?P<experts>\d+)x)?(?P<n>\d+(?:\.\d+)?)(?P<unit>[KMBT])$", re.I)
_UNITS = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_SHARD = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")
# Files that ship next to models but are not language models llama.cpp can chat with.
NOT_A_CHAT_MODEL = {"clip", "mmproj"}


class NotAModel(HiveError, ValueError):
    pass


def parameters_from_size_label(label: str) -> int | None:
    """ "14B" -> 14e9, "135M" -> 135e6, "8x7B" -> 56e9 (upper bound for a mixture of experts)."""
    match = _SIZE_LABEL.match(label.strip())
    if not match:
        return None
    count = float(match["n"]) * _UNITS[match["unit"].upper()]
    return int(count * int(match["experts"] or 1))


def size_label_from_parameters(count: int) -> str:
    for unit in ("T", "B", "M", "K"):
        if count >= _UNITS[unit]:
            value = count / _UNITS[unit]
            return f"{value:.0f}{unit}" if value >= 10 else f"{value:.1f}{unit}".replace(".0", "")
    return str(count)


def quantisation_name(file_type: int) -> str | None:
    from gguf import LlamaFileType

    try:
        name = LlamaFileType(file_type).name
    except ValueError:
        return None
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def shard_info(path: Path) -> tuple[int, int] | None:
    match = _SHARD.search(path.name)
    return (int(match[1]), int(match[2])) if match else None


def _kv_bytes_per_token(meta: Mapping[str, Any], arch: str) -> int | None:
    layers = meta.get(f"{arch}.block_count")
    heads = meta.get(f"{arch}.attention.head_count")
    kv_heads = meta.get(f"{arch}.attention.head_count_kv", heads)
    width = meta.get(f"{arch}.embedding_length")
    if isinstance(kv_heads, list):  # some architectures store one count per layer
        kv_heads = max(kv_heads) if kv_heads else None
    if not (
        isinstance(layers, int)
        and isinstance(heads, int)
        and isinstance(kv_heads, int)
        and isinstance(width, int)
        and min(layers, heads, kv_heads, width) > 0
    ):
        return None
    key_len = meta.get(f"{arch}.attention.key_length") or width // heads
    value_len = meta.get(f"{arch}.attention.value_length") or width // heads
    return int(layers * kv_heads * (key_len + value_len) * 2)  # f16 cache: 2 bytes per value


def describe_gguf(path: Path, source: str, name: str | None = None) -> ModelFile:
    """Read the header; raises ValueError/OSError for a file that is not a readable GGUF."""
    try:
        header = read_gguf_header(path)
    except GGUFHeaderError as exc:
        raise ValueError(str(exc)) from exc
    meta = header.metadata
    arch = meta.get("general.architecture")
    if not isinstance(arch, str):
        raise ValueError("no general.architecture in metadata")
    if arch in NOT_A_CHAT_MODEL or meta.get("general.type") in NOT_A_CHAT_MODEL:
        raise NotAModel(f"{arch} projector, not a language model")

    label = meta.get("general.size_label")
    size_label = label if isinstance(label, str) else None
    counted = header.parameter_count
    shard = shard_info(path)
    if size_label and parameters_from_size_label(size_label):
        parameters: int | None = parameters_from_size_label(size_label)
    else:
        # A shard only holds part of the tensors; its count would undercount the model.
        parameters = counted if counted and shard is None else None
        size_label = size_label_from_parameters(parameters) if parameters else None

    file_type = meta.get("general.file_type")
    quant = quantisation_name(file_type) if isinstance(file_type, int) else None
    context = meta.get(f"{arch}.context_length")
    layers = meta.get(f"{arch}.block_count")

    size = path.stat().st_size
    if shard is not None:
        # Sum every shard so the plan sees the whole model.
        size = sum(
            p.stat().st_size for p in path.parent.glob(_SHARD.sub("", path.name) + "-*-of-*.gguf")
        )
    general_name = meta.get("general.name")
    return ModelFile(
        path=str(path),
        name=name or (general_name if isinstance(general_name, str) else path.stem),
        source=source,
        file_size_bytes=size,
        architecture=arch,
        parameter_count=parameters,
        size_label=size_label,
        quantisation=quant,
        context_length=context if isinstance(context, int) else None,
        layer_count=layers if isinstance(layers, int) else None,
        kv_bytes_per_token=_kv_bytes_per_token(meta, arch),
    )
