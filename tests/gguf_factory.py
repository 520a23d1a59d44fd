"""Small but valid GGUF files for the catalogue tests: real header and metadata, tiny tensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFWriter, LlamaFileType


def write_gguf(
    path: Path,
    *,
    arch: str = "llama",
    name: str = "Tiny Test Model",
    size_label: str | None = None,
    file_type: LlamaFileType = LlamaFileType.MOSTLY_Q4_K_M,
    context_length: int = 2048,
    layers: int = 2,
    width: int = 64,
    heads: int = 4,
    kv_heads: int = 2,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = GGUFWriter(str(path), arch)
    writer.add_name(name)
    if size_label:
        writer.add_size_label(size_label)
    writer.add_file_type(int(file_type))
    writer.add_context_length(context_length)
    writer.add_block_count(layers)
    writer.add_embedding_length(width)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    # 16*width + width*width parameters: 5120 for width 64.
    writer.add_tensor("token_embd.weight", np.zeros((16, width), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((width, width), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
