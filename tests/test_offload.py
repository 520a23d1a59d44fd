"""Partial GPU offload: a model bigger than the GPU pool runs as many layers on the GPU as fit
and the rest on the CPU, on the recorded H200 and on made-up machines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hive_tui.hardware.forced_model import gpu_layers_for
from hive_tui.hardware.nvidia import parse_nvml_snapshot
from hive_tui.hardware.offload import (
    COMPUTE_OVERHEAD_BYTES,
    NON_LAYER_SHARE,
    OFFLOAD_COMPUTE_MARGIN_BYTES,
    split_layers,
)
from hive_tui.hardware.plan import plan_hardware, weights_bytes
from hive_tui.wire import CpuInfo, Device, HardwareReport, ModelCatalog, ModelFile

GiB = 1024**3
H200 = Path(__file__).parent / "fixtures" / "hardware" / "nvidia-h200" / "nvml_h.json"
# Llama 3.1 405B: 126 blocks, 8 KV heads of 128 dimensions, f16 K and V.
LLAMA_405B_KV = 126 * 8 * (128 + 128) * 2
LLAMA_70B_KV = 80 * 8 * (128 + 128) * 2


def cpu(cores: int = 16, ram_gib: float = 125.9) -> CpuInfo:
    return CpuInfo(name="test CPU", architecture="x86_64", physical_cores=cores,
                   logical_cores=cores, total_ram_bytes=int(ram_gib * GiB),
                   available_ram_bytes=int(ram_gib * GiB))


def h200(ram_gib: float = 125.9) -> HardwareReport:
    gpus = parse_nvml_snapshot(json.loads(H200.read_text()))
    return HardwareReport(platform="test", cpu=cpu(16, ram_gib), gpus=gpus)


def small_gpu(gib: float, ram_gib: float) -> HardwareReport:
    gpu = Device(vendor="nvidia", name="small", index=0, backend="cuda",
                 total_memory_bytes=int(gib * GiB), free_memory_bytes=int(gib * GiB))
    return HardwareReport(platform="test", cpu=cpu(8, ram_gib), gpus=[gpu])


def gguf(name: str, params: int, layers: int | None, kv: int) -> ModelFile:
    return ModelFile(path=f"/models/{name}.gguf", name=name, source="huggingface",
                     file_size_bytes=weights_bytes(params, "Q4_K_M"), architecture="llama",
                     parameter_count=params, size_label=f"{params / 1e9:g}B",
                     quantisation="Q4_K_M", context_length=131072, layer_count=layers,
                     kv_bytes_per_token=kv)


LLAMA_405B = gguf("llama-405b", 405_000_000_000, 126, LLAMA_405B_KV)  # ~230 GiB
LLAMA_70B = gguf("llama-70b", 70_600_000_000, 80, LLAMA_70B_KV)


def assert_fills_the_pool(n: int, model: ModelFile, context: int, pool: int) -> None:
    """n layers fit the pool beside the margin and one more would not."""
    layers = model.layer_count or 0
    per_layer = (model.file_size_bytes * (1 - NON_LAYER_SHARE) + model.kv_bytes_per_token
                 * context) / layers
    assert n * per_layer + OFFLOAD_COMPUTE_MARGIN_BYTES <= pool
    assert (n + 1) * per_layer + OFFLOAD_COMPUTE_MARGIN_BYTES > pool


def test_recorded_h200_splits_a_405b_between_gpu_and_cpu():
    assert LLAMA_405B.file_size_bytes > 200 * GiB  # bigger than the H200's 140 GiB
    plan = plan_hardware(h200(), ModelCatalog(models=[LLAMA_405B]))
    assert plan.model == LLAMA_405B and plan.budget.kind == "gpu"
    assert 0 < plan.n_gpu_layers < 126
    assert_fills_the_pool(plan.n_gpu_layers, LLAMA_405B, plan.context_length,
                          plan.budget.usable_bytes)
    n = plan.n_gpu_layers
    line = (f"405B Q4_K_M ({LLAMA_405B.file_size_bytes / GiB:.1f} GiB) does not fit the "
            f"{plan.budget.usable_bytes / GiB:.1f} GiB GPU pool: {n} of 126 layers on the GPU, "
            f"{126 - n} on the CPU (n_gpu_layers={n})")
    assert any(reason.startswith(line) for reason in plan.reasons), plan.reasons
    assert any("RAM budget" in r and "fit" in r for r in plan.reasons)
    # One copy, and the CPU's layers get every core.
    assert plan.workers == 1 and plan.threads_per_worker == 16


def test_a_model_that_fits_the_h200_keeps_every_layer_on_the_gpu():
    plan = plan_hardware(h200(), ModelCatalog(models=[LLAMA_70B, LLAMA_405B]))
    assert plan.model == LLAMA_70B and plan.n_gpu_layers == -1 and plan.workers >= 2
    assert "all layers on the GPU (n_gpu_layers=-1)" in plan.reasons


def test_a_tiny_gpu_holds_not_even_one_layer():
    plan = plan_hardware(small_gpu(2, 512), ModelCatalog(models=[LLAMA_405B]))
    assert plan.model == LLAMA_405B and plan.n_gpu_layers == 0
    assert any("not even one layer" in r and "all 126 layers on the CPU" in r
               for r in plan.reasons)


def test_one_copy_too_big_for_either_card_spreads_over_both():
    cards = [Device(vendor="nvidia", name=f"GPU{i}", index=i, backend="cuda",
                    total_memory_bytes=8 * GiB, free_memory_bytes=8 * GiB) for i in range(2)]
    machine = HardwareReport(platform="test", cpu=cpu(8, 32), gpus=cards)
    model = gguf("qwen-14b", 14_800_000_000, 48, 196_608)  # ~8.4 GiB: one 7.2 GiB pool is short
    plan = plan_hardware(machine, ModelCatalog(models=[model]))
    assert plan.model == model and plan.n_gpu_layers == -1
    assert plan.workers == 1 and plan.threads_per_worker == 1
    assert any("spreads it over the GPUs" in r for r in plan.reasons)


def test_a_split_whose_rest_the_ram_cannot_hold_is_not_chosen():
    plan = plan_hardware(h200(ram_gib=64), ModelCatalog(models=[LLAMA_405B]))
    assert plan.model is None
    assert any("no model on disk fits" in r for r in plan.reasons)


def test_unknown_layer_count_is_all_or_nothing():
    pool = 100 * GiB
    big = split_layers(150 * GiB, None, LLAMA_70B_KV, 4096, pool)
    assert big.n_gpu_layers == 0 and "layer count is unknown" in big.reason
    small = split_layers(50 * GiB, None, LLAMA_70B_KV, 4096, pool)
    assert small.n_gpu_layers == -1 and small.cpu_bytes == 0


def test_the_whole_model_fits_exactly_at_the_worker_size():
    kv_bytes = LLAMA_70B_KV * 4096
    whole = 40 * GiB + kv_bytes + COMPUTE_OVERHEAD_BYTES
    assert split_layers(40 * GiB, 80, LLAMA_70B_KV, 4096, whole).n_gpu_layers == -1
    just_under = split_layers(40 * GiB, 80, LLAMA_70B_KV, 4096, whole - 1)
    assert 0 < just_under.n_gpu_layers <= 80


def test_the_rest_on_the_cpu_is_checked_against_ram():
    split = split_layers(230 * GiB, 126, LLAMA_405B_KV, 4096, 23 * GiB, ram_bytes=100 * GiB)
    assert 0 < split.n_gpu_layers < 126 and not split.ram_fits
    assert split.cpu_bytes > 200 * GiB and "page the file from disk" in split.reason


def test_a_named_model_is_split_on_the_gpu_machine():
    plan = plan_hardware(h200(), ModelCatalog(models=[LLAMA_70B]))
    catalog = ModelCatalog(models=[LLAMA_70B, LLAMA_405B])
    layers, why = gpu_layers_for(plan, catalog, LLAMA_405B.path, 2048)
    assert 0 < layers < 126 and why is not None
    assert why.startswith("--model llama-405b: 405B Q4_K_M") and f"(n_gpu_layers={layers})" in why
    assert_fills_the_pool(layers, LLAMA_405B, 2048, plan.budget.usable_bytes)
    # The plan's own model, or no named model, keeps the plan's layers.
    assert gpu_layers_for(plan, catalog, LLAMA_70B.path, 2048)[0] == -1
    assert gpu_layers_for(plan, None, LLAMA_405B.path, 2048) == (-1, None)
    assert gpu_layers_for(None, catalog, LLAMA_405B.path, 2048) == (0, None)


def on_the_h200(monkeypatch, *models: ModelFile) -> None:
    """The recorded H200 with ``models`` on disk, for the node and `hive hardware`."""
    import hive_tui.hardware
    import hive_tui.models.catalog

    monkeypatch.setattr(hive_tui.hardware, "detect_hardware", h200)
    catalog = ModelCatalog(models=list(models))
    monkeypatch.setattr(hive_tui.models.catalog, "build_catalog", lambda **_: catalog)


def test_the_node_splits_a_named_model_and_the_flag_wins(monkeypatch, tmp_path):
    from hive_tui.config import load_settings
    from hive_tui.node_plan import make_plan

    def plan(**overrides):
        return make_plan(load_settings(overrides, environ={}, path=tmp_path / "none.toml"))

    on_the_h200(monkeypatch, LLAMA_70B, LLAMA_405B)
    assert plan().n_gpu_layers == -1  # the plan's 70B fits
    named = plan(model="llama-405b")
    assert 0 < named.n_gpu_layers < 126
    assert any(r.startswith("--model llama-405b") for r in named.reasons)
    assert plan(model="llama-405b", n_gpu_layers=10).n_gpu_layers == 10  # --n-gpu-layers wins


def test_hive_hardware_explains_the_split(monkeypatch, capsys):
    from hive_tui.commands.hardware import run

    on_the_h200(monkeypatch, LLAMA_405B)
    pool = plan_hardware(h200(), ModelCatalog()).budget.usable_bytes
    assert run(argparse.Namespace(json=False, models_dir=None)) == 0
    out = capsys.readouterr().out
    assert f"does not fit the {pool / GiB:.1f} GiB GPU pool:" in out
    assert "on the CPU (n_gpu_layers=" in out
