"""Partial GPU offload: how many of a model's layers fit the GPU pool when the whole model does
not, and whether RAM holds the rest.

llama.cpp's ``n_gpu_layers`` counts the repeating blocks (``block_count`` in the GGUF). It puts
the last n blocks, with their share of the KV cache, on the GPU and the rest on the CPU; the
token embedding always stays on the CPU and the output tensor goes to the GPU only when every
block does (``-1`` asks for that). So a split costs the GPU, per layer, one block's weights and
its KV cache, plus the compute buffer; the CPU runs its blocks from RAM (the mmapped file).
Pure arithmetic on byte counts, so it is tested as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hive_tui.wire import ModelFile

GiB = 1024**3
# Scratch buffers llama.cpp allocates per context on top of weights and KV cache.
COMPUTE_OVERHEAD_BYTES = 256 * 1024 * 1024
# The part of a file outside the repeating blocks: the token embedding and output matrices
# (vocabulary x width each). That is ~2% of a 405B, ~3% of a 70B and 10% or more of a small
# model. A split leaves both on the CPU, so they are not a GPU layer's cost; we take the low
# figure, which makes a layer look larger than it is: a split errs towards fewer GPU layers
# (slower), never towards a GPU out of memory.
NON_LAYER_SHARE = 0.02
# GPU memory kept free beside the offloaded layers. A split model is a large one: its CUDA
# compute buffer (activations of a 512-token batch across its width) runs to about 1 GiB for a
# 70B, more than the 256 MiB a fitting small model needs, and the CPU<->GPU copies of a split
# add staging buffers of their own.
OFFLOAD_COMPUTE_MARGIN_BYTES = 1 * GiB


def gib(n: float) -> str:
    return f"{n / GiB:.1f} GiB"


@dataclass(frozen=True)
class Offload:
    """Where a model's layers run: ``n_gpu_layers`` as llama.cpp takes it (-1 every layer and
    the output on the GPU, 0 CPU only, else that many blocks), and the one-line reason."""

    n_gpu_layers: int
    layer_count: int | None
    cpu_bytes: int  # weights and KV cache left to the CPU (RAM)
    ram_fits: bool  # whether the RAM budget holds cpu_bytes (else the OS pages the file)
    reason: str


def split_layers(
    model_bytes: int,
    layer_count: int | None,
    kv_bytes_per_token: int,
    context: int,
    gpu_pool_bytes: int,
    ram_bytes: int | None = None,
    label: str = "the model",
) -> Offload:
    """As many layers on the GPU as fit ``gpu_pool_bytes``; the rest on the CPU, checked
    against ``ram_bytes`` (None: not checked)."""
    kv_bytes = kv_bytes_per_token * context
    whole = model_bytes + kv_bytes + COMPUTE_OVERHEAD_BYTES
    if whole <= gpu_pool_bytes:
        layers = f"all {layer_count} layers" if layer_count else "all layers"
        return Offload(-1, layer_count, 0, True, f"{layers} on the GPU (n_gpu_layers=-1)")
    head = f"{label} ({gib(model_bytes)}) does not fit the {gib(gpu_pool_bytes)} GPU pool"
    if not layer_count or layer_count <= 0:
        # Without block_count there is no per-layer size to split by: all or nothing.
        cpu_bytes = model_bytes + kv_bytes
        return _with_ram(
            Offload(0, None, cpu_bytes, True, f"{head} and its layer count is unknown (no "
                    "block_count in its metadata) to split it by: CPU only (n_gpu_layers=0)"),
            ram_bytes,
        )
    layer_weights = model_bytes * (1 - NON_LAYER_SHARE) / layer_count
    per_layer = layer_weights + kv_bytes / layer_count
    room = max(0, gpu_pool_bytes - OFFLOAD_COMPUTE_MARGIN_BYTES)
    on_gpu = min(layer_count, int(room // per_layer))
    cpu_bytes = int(model_bytes - on_gpu * layer_weights + (layer_count - on_gpu) * kv_bytes
                    / layer_count)
    if on_gpu == 0:
        reason = (f"{head}, not even one layer ({gib(per_layer)} with its KV cache) does: "
                  f"all {layer_count} layers on the CPU (n_gpu_layers=0)")
    else:
        reason = (f"{head}: {on_gpu} of {layer_count} layers on the GPU, "
                  f"{layer_count - on_gpu} on the CPU (n_gpu_layers={on_gpu})")
    return _with_ram(Offload(on_gpu, layer_count, cpu_bytes, True, reason), ram_bytes)


def _with_ram(split: Offload, ram_bytes: int | None) -> Offload:
    if ram_bytes is None:
        return split
    if split.cpu_bytes <= ram_bytes:
        return Offload(split.n_gpu_layers, split.layer_count, split.cpu_bytes, True,
                       f"{split.reason}; the CPU's {gib(split.cpu_bytes)} fit the "
                       f"{gib(ram_bytes)} RAM budget")
    return Offload(split.n_gpu_layers, split.layer_count, split.cpu_bytes, False,
                   f"{split.reason}; the CPU's {gib(split.cpu_bytes)} exceed the "
                   f"{gib(ram_bytes)} RAM budget: the OS will page the file from disk (slow)")


def model_label(model: ModelFile) -> str:
    return f"{model.size_label or model.name} {model.quantisation or '?'}"


def split_model(
    model: ModelFile, kv_bytes_per_token: int, context: int, gpu_pool_bytes: int,
    ram_bytes: int | None,
) -> Offload:
    return split_layers(model.file_size_bytes, model.layer_count, kv_bytes_per_token, context,
                        gpu_pool_bytes, ram_bytes, model_label(model))


def best_split(
    models: Iterable[ModelFile],
    sizing: Callable[[ModelFile], tuple[int, int]],
    quality: Callable[[ModelFile], tuple[int, float]],
    gpu_pool_bytes: int,
    ram_bytes: int,
) -> tuple[ModelFile, Offload] | None:
    """The best model that runs as one copy split over the GPU pool and RAM (``sizing``: its
    KV bytes per token and context), or None when none does."""
    best: tuple[ModelFile, Offload] | None = None
    for model in models:
        kv, context = sizing(model)
        split = split_model(model, kv, context, gpu_pool_bytes, ram_bytes)
        if not split.ram_fits or (best is not None and quality(model) <= quality(best[0])):
            continue
        best = (model, split)
    return best
