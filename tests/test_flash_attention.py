"""Where flash attention is forced on and where llama.cpp chooses ("auto"), and which engine a
process gets so that a GPU worker can leave the choice to llama.cpp."""

from __future__ import annotations

import llama_cpp
import pytest

from hive_tui import wire
from hive_tui.backends.llama_engine import FLASH_ATTN_ON, flash_attention_type
from hive_tui.swarm.engine_process import ProcessSpec


def spec(backend: str, slots: int, n_gpu_layers: int) -> ProcessSpec:
    load = wire.Load(model_path="m.gguf", n_ctx=512, n_threads=1, slots=slots,
                     n_gpu_layers=n_gpu_layers)
    return ProcessSpec(index=0, backend=backend, load=load)


def test_a_cpu_model_always_uses_flash_attention():
    assert FLASH_ATTN_ON == llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
    assert flash_attention_type(0) == FLASH_ATTN_ON


def test_gpu_layers_leave_flash_attention_to_llama_cpp_on_a_gpu_build(monkeypatch):
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: True)
    assert flash_attention_type(99) == llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO
    assert flash_attention_type(0) == FLASH_ATTN_ON


def test_gpu_layers_on_a_cpu_only_build_still_run_on_the_cpu(monkeypatch):
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: False)
    assert flash_attention_type(99) == FLASH_ATTN_ON


@pytest.mark.parametrize(
    ("backend", "slots", "n_gpu_layers", "engine"),
    [
        ("llama", 1, 0, "llama"),  # one sequence on the CPU: llama-cpp-python's Llama
        ("llama", 4, 0, "llama-batched"),
        ("llama", 1, 99, "llama-batched"),  # on a GPU even one slot: flash attention "auto"
        ("llama", 1, -1, "llama-batched"),
        ("mlx", 1, 99, "mlx"),
        ("scripted", 3, 0, "scripted"),
    ],
)
def test_the_engine_a_process_runs(backend, slots, n_gpu_layers, engine):
    assert spec(backend, slots, n_gpu_layers).child_backend == engine
