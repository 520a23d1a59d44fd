"""The memory model and the plan, as a table of machines."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from hive_tui.hardware.memory import memory_budget
from hive_tui.hardware.nvidia import parse_nvidia_smi_xml, parse_nvml_snapshot
from hive_tui.hardware.plan import plan_hardware
from hive_tui.wire import CpuInfo, Device, HardwareReport, ModelCatalog, ModelFile

GiB = 1024**3
FIXTURES = Path(__file__).parent / "fixtures" / "hardware"


def cpu(cores: int = 8, ram_gib: float = 32, available_gib: float | None = None) -> CpuInfo:
    return CpuInfo(
        name="test CPU",
        architecture="x86_64",
        physical_cores=cores,
        logical_cores=cores,
        total_ram_bytes=int(ram_gib * GiB),
        available_ram_bytes=int((available_gib if available_gib is not None else ram_gib) * GiB),
    )


def nvidia(gib: float, index: int = 0) -> Device:
    return Device(
        vendor="nvidia",
        name=f"GPU{index}",
        index=index,
        backend="cuda",
        total_memory_bytes=int(gib * GiB),
        free_memory_bytes=int(gib * GiB),
    )


def apple(gib: float) -> Device:
    return Device(
        vendor="apple",
        name="Apple M2",
        backend="metal",
        total_memory_bytes=int(gib * GiB),
        unified_memory=True,
    )


def report(cpu_info: CpuInfo, *gpus: Device) -> HardwareReport:
    return HardwareReport(platform="test", cpu=cpu_info, gpus=list(gpus))


def model(name: str, params: int, quant: str, gib: float, source: str = "huggingface") -> ModelFile:
    return ModelFile(
        path=f"/models/{name}.gguf",
        name=name,
        source=source,
        file_size_bytes=int(gib * GiB),
        architecture="llama",
        parameter_count=params,
        size_label=f"{params / 1e9:g}B",
        quantisation=quant,
        context_length=32768,
    )


EMBEDDED = model("smollm2-135m", 135_000_000, "Q4_1", 0.09, source="embedded")
EMPTY = ModelCatalog()


# machine, expected (usable GiB, size, quant, workers, threads/worker, n_gpu_layers)
TABLE = [
    ("8 GB GPU", report(cpu(), nvidia(8)), (7.2, "3B", "Q6_K", 2, 1, -1)),
    ("16 GB GPU", report(cpu(), nvidia(16)), (14.4, "7B", "Q4_K_M", 3, 1, -1)),
    ("24 GB GPU", report(cpu(), nvidia(24)), (21.6, "14B", "Q4_K_M", 2, 1, -1)),
    ("80 GB GPU", report(cpu(16), nvidia(80)), (72.0, "32B", "Q4_K_M", 3, 1, -1)),
    ("8 GB unified", report(cpu(8, 8), apple(8)), (4.0, "1.5B", "Q6_K", 2, 1, -1)),
    ("2 GB RAM", report(cpu(2, 2)), (1.0, "135M", "Q4_1", 2, 1, 0)),
    ("24 GB RAM 2 cores", report(cpu(2, 24)), (20.0, "14B", "Q4_K_M", 2, 1, 0)),
    ("64 GB RAM 16 cores", report(cpu(16, 64)), (60.0, "14B", "Q4_K_M", 4, 4, 0)),
]


@pytest.mark.parametrize(("label", "machine", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_plan_table(label, machine, expected):
    usable, size, quant, workers, threads, layers = expected
    plan = plan_hardware(machine, EMPTY)
    assert plan.budget.usable_bytes == pytest.approx(usable * GiB, rel=0.001)
    assert (plan.target.size_label, plan.target.quantisation) == (size, quant)
    assert (plan.workers, plan.threads_per_worker, plan.n_gpu_layers) == (workers, threads, layers)
    # never oversubscribe: workers x threads fits in the physical cores
    assert plan.workers * plan.threads_per_worker <= machine.cpu.physical_cores
    assert plan.workers * plan.per_worker_bytes <= plan.budget.usable_bytes
    assert plan.reasons and plan.budget.explanation


def test_issue_table_worker_ranges_hold_for_the_named_sizes():
    for gib, size, low, high in [(24, "14B", 2, 3), (16, "7B", 3, 4), (8, "3B", 2, 3)]:
        plan = plan_hardware(report(cpu(16), nvidia(gib)), EMPTY)
        assert plan.target.size_label == size and low <= plan.workers <= high


def test_explanations_say_how_the_number_was_reached():
    assert (
        memory_budget(report(cpu(), nvidia(24))).explanation
        == "GPU0: 90% of 24.0 GiB VRAM = 21.6 GiB"
    )
    assert "minus a 4 GiB buffer" in memory_budget(report(cpu(8, 16), apple(16))).explanation
    small = memory_budget(report(cpu(2, 2)))
    assert "half the RAM" in small.explanation and small.kind == "ram"


def test_busy_ram_caps_a_cpu_only_budget():
    budget = memory_budget(report(cpu(8, 32, available_gib=10)))
    assert budget.usable_bytes == 10 * GiB and "available now" in budget.explanation


def test_busy_gpu_is_capped_at_its_free_memory_and_workers_fit_per_gpu():
    devices = parse_nvml_snapshot(
        json.loads((FIXTURES / "nvidia-2x-rtx4090-synthetic" / "nvml.json").read_text())
    )
    machine = report(cpu(16), *devices)
    plan = plan_hardware(machine, EMPTY)
    assert plan.budget.kind == "gpu" and len(plan.budget.pools) == 2
    assert plan.budget.pools[1] == 4 * GiB  # the busy card only has 4 GiB free
    assert "only 4.0 GiB is free" in plan.budget.explanation
    # 14B copies (~9.4 GiB each) fit twice on the idle card and never on the busy one
    assert plan.target.size_label == "14B" and plan.workers == 2


def test_recorded_two_8gb_cards_run_one_7b_worker_each():
    text = (FIXTURES / "nvidia-2x-rtx2080" / "nvidia-smi-q.xml").read_text()
    plan = plan_hardware(report(cpu(8), *parse_nvidia_smi_xml(text)), EMPTY)
    assert plan.budget.kind == "gpu" and len(plan.budget.pools) == 2
    assert plan.budget.explanation.count("90% of 8.0 GiB VRAM = 7.2 GiB") == 2
    # a 7B Q4_K_M copy (~4.6 GB plus its context) fits once per card, never split across two
    assert plan.target.size_label == "7B" and plan.workers == 2


def test_recorded_h200_plans_a_70b_swarm():
    data = json.loads((FIXTURES / "nvidia-h200" / "nvml_h.json").read_text())
    machine = report(cpu(16, 125.9), *parse_nvml_snapshot(data))
    plan = plan_hardware(machine, EMPTY)
    assert plan.target.size_label == "70B" and plan.workers == 3 and plan.n_gpu_layers == -1


def test_best_local_model_is_chosen_and_a_larger_one_preferred():
    catalog = ModelCatalog(
        models=[
            EMBEDDED,
            model("qwen-3b", 3_100_000_000, "Q4_K_M", 1.8),
            model("qwen-7b", 7_600_000_000, "Q4_K_M", 4.4),
            model("qwen-32b", 32_800_000_000, "Q4_K_M", 18.5),  # fits only once in 21.6 GiB
        ]
    )
    plan = plan_hardware(report(cpu(), nvidia(24)), catalog)
    assert plan.model.name == "qwen-7b"
    assert plan.preferred is not None and plan.preferred.size_label == "14B"
    assert plan.preferred.repo and plan.preferred.filename.endswith(".gguf")
    assert any("hive models pull" in reason for reason in plan.reasons)
    assert plan.workers == 3  # 7B copies are smaller, so the full 3 fit


def test_a_local_model_as_big_as_the_target_needs_no_preference():
    catalog = ModelCatalog(models=[model("qwen-14b", 14_800_000_000, "Q4_K_M", 8.4)])
    plan = plan_hardware(report(cpu(), nvidia(24)), catalog)
    assert plan.model.name == "qwen-14b" and plan.preferred is None


def test_small_cpu_box_runs_the_embedded_model():
    plan = plan_hardware(report(cpu(2, 24)), ModelCatalog(models=[EMBEDDED]))
    assert plan.model.source == "embedded"
    assert plan.workers == 2 and plan.threads_per_worker == 1 and plan.n_gpu_layers == 0
    assert plan.preferred.size_label == "14B"
    assert plan.context_length == 4096


def test_one_core_means_one_worker():
    plan = plan_hardware(report(cpu(1, 8)), ModelCatalog(models=[EMBEDDED]))
    assert plan.workers == 1 and plan.threads_per_worker == 1
    assert any("CPU cores" in reason for reason in plan.reasons)


def test_nothing_on_disk_says_so():
    plan = plan_hardware(report(cpu(2, 2)), EMPTY)
    assert plan.model is None
    assert any("no model on disk" in reason for reason in plan.reasons)


def test_the_node_runs_the_context_the_plan_sized_memory_for(tmp_path):
    from hive_tui.config import load_settings
    from hive_tui.node_plan import DEFAULT_N_CTX, hardware_plan, make_plan

    def plan(**overrides):
        return make_plan(load_settings(overrides, environ={}, path=tmp_path / "none.toml"))

    planned = hardware_plan()
    assert planned.model is not None and planned.context_length > DEFAULT_N_CTX
    assert plan().n_ctx == planned.context_length  # what `hive hardware` shows
    assert plan(n_ctx=1024).n_ctx == 1024  # --n-ctx wins
    # A model named on the command line was not what the plan sized: the plain default.
    assert plan(model="embedded", workers=1).n_ctx == DEFAULT_N_CTX


def test_the_node_votes_with_five_workers_as_batched_slots_where_they_fit(tmp_path):
    from hive_tui.config import load_settings
    from hive_tui.hardware.plan import VOTE_SIZE, slots_fit
    from hive_tui.node_plan import hardware_plan, make_plan

    hardware = hardware_plan()
    plan = make_plan(load_settings({}, environ={}, path=tmp_path / "none.toml"))
    if hardware.workers < VOTE_SIZE and slots_fit(hardware, VOTE_SIZE):
        assert plan.workers == VOTE_SIZE and plan.layout.workers == VOTE_SIZE
        assert any("workers vote" in reason for reason in plan.reasons)
    else:
        assert plan.workers == hardware.workers
    # Requested workers, or a backend without a batched engine, are left as they are.
    assert make_plan(load_settings({"workers": 2}, environ={}, path=tmp_path / "n")).workers == 2
    tiny = msgspec.structs.replace(hardware, per_worker_bytes=hardware.budget.usable_bytes)
    assert not slots_fit(msgspec.structs.replace(tiny, workers=1), VOTE_SIZE)
