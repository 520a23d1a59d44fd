"""The plan: usable memory -> model size -> quantisation -> worker count and threads.

A pure function of the report, the budget and the catalogue, so it is tested as a table.
Start from the size the memory calls for (``TIERS``), then pick the best model that actually
exists on disk, and say which larger model would be worth pulling.
"""

from __future__ import annotations

from dataclasses import dataclass

from hive_tui.hardware.memory import GiB, memory_budget, ram_bytes
from hive_tui.hardware.offload import COMPUTE_OVERHEAD_BYTES, Offload, best_split
from hive_tui.wire import (
    HardwarePlan,
    HardwareReport,
    MemoryBudget,
    ModelCatalog,
    ModelFile,
    ModelSuggestion,
)

DEFAULT_CONTEXT = 4096
# Bits per weight of each quantisation, averaged over a whole file (llama.cpp's quantize table).
BITS_PER_WEIGHT = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.5,
    "Q6_K": 6.56,
    "Q5_K_M": 5.69,
    "Q5_K_S": 5.54,
    "Q5_0": 5.5,
    "Q5_1": 6.0,
    "Q4_K_M": 4.89,
    "Q4_K_S": 4.58,
    "Q4_0": 4.5,
    "Q4_1": 5.0,
    "IQ4_XS": 4.25,
    "Q3_K_M": 3.91,
    "Q3_K_S": 3.5,
    "Q2_K": 3.0,
}


@dataclass(frozen=True)
class Tier:
    min_budget_gib: float
    size_label: str
    parameter_count: int
    quantisation: str
    min_workers: int
    max_workers: int
    kv_bytes_per_token: int  # f16 K+V per token for a typical model of this size (GQA)
    repo: str
    filename: str

    def suggestion(self) -> ModelSuggestion:
        return ModelSuggestion(
            size_label=self.size_label,
            parameter_count=self.parameter_count,
            quantisation=self.quantisation,
            approx_file_bytes=weights_bytes(self.parameter_count, self.quantisation),
            repo=self.repo,
            filename=self.filename,
        )


# The 14B/7B/3B rows are the usual picks for 24/16/8 GB of memory; the rows around them
# extend that table. Thresholds are usable GiB and sit about 10% under the card sizes so
# that a 24 GB GPU (21.6 GiB after the 90% rule) lands on its row; each threshold is where
# min_workers copies (weights + 4k context + scratch) fit. Largest first: first match wins.
TIERS = [
    Tier(
        96,
        "70B",
        70_600_000_000,
        "Q4_K_M",
        2,
        3,
        327_680,
        "bartowski/Llama-3.3-70B-Instruct-GGUF",
        "Llama-3.3-70B-Instruct-Q4_K_M.gguf",
    ),
    Tier(
        64,
        "32B",
        32_800_000_000,
        "Q4_K_M",
        2,
        4,
        262_144,
        "bartowski/Qwen2.5-32B-Instruct-GGUF",
        "Qwen2.5-32B-Instruct-Q4_K_M.gguf",
    ),
    Tier(
        40,
        "14B",
        14_800_000_000,
        "Q4_K_M",
        3,
        4,
        196_608,
        "bartowski/Qwen2.5-14B-Instruct-GGUF",
        "Qwen2.5-14B-Instruct-Q4_K_M.gguf",
    ),
    Tier(
        20,
        "14B",
        14_800_000_000,
        "Q4_K_M",
        2,
        3,
        196_608,
        "bartowski/Qwen2.5-14B-Instruct-GGUF",
        "Qwen2.5-14B-Instruct-Q4_K_M.gguf",
    ),
    Tier(
        14,
        "7B",
        7_600_000_000,
        "Q4_K_M",
        3,
        4,
        57_344,
        "bartowski/Qwen2.5-7B-Instruct-GGUF",
        "Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    ),
    Tier(
        7,
        "3B",
        3_200_000_000,
        "Q6_K",
        2,
        3,
        114_688,
        "bartowski/Llama-3.2-3B-Instruct-GGUF",
        "Llama-3.2-3B-Instruct-Q6_K.gguf",
    ),
    Tier(
        3.5,
        "1.5B",
        1_540_000_000,
        "Q6_K",
        2,
        3,
        28_672,
        "bartowski/Qwen2.5-1.5B-Instruct-GGUF",
        "Qwen2.5-1.5B-Instruct-Q6_K.gguf",
    ),
    Tier(
        2,
        "0.5B",
        494_000_000,
        "Q8_0",
        2,
        3,
        12_288,
        "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
        "Qwen2.5-0.5B-Instruct-Q8_0.gguf",
    ),
    Tier(
        1.5,
        "360M",
        362_000_000,
        "Q8_0",
        2,
        3,
        40_960,
        "bartowski/SmolLM2-360M-Instruct-GGUF",
        "SmolLM2-360M-Instruct-Q8_0.gguf",
    ),
    # Below 1 GiB: the model hive ships with (SmolLM2-135M-Instruct Q4_1); nothing to pull.
    Tier(0, "135M", 135_000_000, "Q4_1", 1, 2, 23_040, "", ""),
]


def weights_bytes(parameter_count: int, quantisation: str) -> int:
    return int(parameter_count * BITS_PER_WEIGHT.get(quantisation, 8.5) / 8)


def tier_for(budget_bytes: int) -> Tier:
    return next(t for t in TIERS if budget_bytes >= t.min_budget_gib * GiB)


def worker_bytes(file_bytes: int, kv_bytes_per_token: int, context: int) -> int:
    return file_bytes + kv_bytes_per_token * context + COMPUTE_OVERHEAD_BYTES


def workers_that_fit(pools: list[int], per_worker: int) -> int:
    """A worker holds a whole model copy, so it must fit inside one pool (one GPU)."""
    return sum(pool // per_worker for pool in pools) if per_worker > 0 else 0


def model_kv(model: ModelFile, tier: Tier) -> int:
    if model.kv_bytes_per_token:
        return model.kv_bytes_per_token
    # No attention metadata: scale the tier's figure by size (KV grows roughly with width).
    params = model.parameter_count or tier.parameter_count
    return max(1, int(tier.kv_bytes_per_token * params / tier.parameter_count))


def _context_for(model: ModelFile | None) -> int:
    if model and model.context_length:
        return min(DEFAULT_CONTEXT, model.context_length)
    return DEFAULT_CONTEXT


def _quality(model: ModelFile) -> tuple[int, float]:
    return model.parameter_count or 0, BITS_PER_WEIGHT.get(model.quantisation or "", 0.0)


def choose_local_model(
    catalog: ModelCatalog, budget: MemoryBudget, tier: Tier
) -> tuple[ModelFile | None, int]:
    """The largest local model of which enough copies fit; returns it and its per-worker bytes."""
    needed = min(2, tier.min_workers)
    best: tuple[ModelFile, int] | None = None
    for model in catalog.models:
        per_worker = worker_bytes(
            model.file_size_bytes, model_kv(model, tier), _context_for(model)
        )
        if workers_that_fit(budget.pools, per_worker) < needed:
            continue
        if best is None or _quality(model) > _quality(best[0]):
            best = (model, per_worker)
    return best if best else (None, 0)


def plan_hardware(
    report: HardwareReport, catalog: ModelCatalog, budget: MemoryBudget | None = None
) -> HardwarePlan:
    budget = budget or memory_budget(report)
    tier = tier_for(budget.usable_bytes)
    target = tier.suggestion()
    reasons = [
        f"memory: {budget.explanation}",
        f"{budget.usable_bytes / GiB:.1f} GiB usable calls for"
        f" {tier.size_label} {tier.quantisation}"
        f" with {tier.min_workers}-{tier.max_workers} workers",
    ]
    model, per_worker = choose_local_model(catalog, budget, tier)
    split: Offload | None = None
    offload_ram = ram_bytes(report)[0] if budget.kind == "gpu" else 0
    if model is None and budget.kind == "gpu":
        # No copy fits a GPU whole: one copy split between the GPU pool and RAM, if one runs.
        found = best_split(catalog.models, lambda m: (model_kv(m, tier), _context_for(m)),
                           _quality, budget.usable_bytes, offload_ram)
        model, split = found if found else (None, None)
        if model is not None:
            per_worker = worker_bytes(model.file_size_bytes, model_kv(model, tier),
                                      _context_for(model))
    preferred = None
    if model is None:
        per_worker = worker_bytes(
            target.approx_file_bytes, tier.kv_bytes_per_token, DEFAULT_CONTEXT
        )
        reasons.append("no model on disk fits this memory; pull one first")
        preferred = target if target.repo else None
    else:
        reasons.append(
            f"chose {model.name} ({model.size_label or '?'} {model.quantisation or '?'}, "
            f"{model.file_size_bytes / GiB:.2f} GiB) from {model.source}"
        )
        if (model.parameter_count or 0) < 0.8 * tier.parameter_count and target.repo:
            preferred = target
    if preferred is not None:
        reasons.append(
            f"would prefer {preferred.size_label} {preferred.quantisation}: "
            f"hive models pull {preferred.repo} {preferred.filename}"
        )

    fit = workers_that_fit(budget.pools, per_worker)
    on_gpu = budget.kind == "gpu" or (budget.kind == "unified" and _is_apple(budget, report))
    # Never oversubscribe: on the CPU every worker needs at least one physical core; a GPU
    # worker still needs one CPU thread to feed the GPU.
    cores = report.cpu.logical_cores if on_gpu else report.cpu.physical_cores
    workers = max(1, min(tier.max_workers, fit, cores))
    if split is not None:
        # llama.cpp spreads one process's GPU layers over every GPU; the CPU layers need cores.
        workers = 1
        reasons.append("1 worker: one copy of the model, " + (
            "split between the GPU and the CPU" if split.n_gpu_layers != -1
            else "no GPU holds two copies (llama.cpp spreads it over the GPUs)"))
    elif fit < 1:
        reasons.append("not even one worker fits; running one anyway and letting it page")
    elif workers < tier.min_workers:
        limit = "CPU cores" if cores < min(fit, tier.max_workers) else "memory"
        reasons.append(f"{workers} worker(s), fewer than {tier.min_workers}: limited by {limit}")
    else:
        reasons.append(f"{workers} workers: {fit} fit in memory, {cores} cores allow {cores}")
    threads = 1 if on_gpu else max(1, report.cpu.physical_cores // workers)
    if split is not None and split.n_gpu_layers != -1:
        threads = max(1, report.cpu.physical_cores)
        reasons.append(f"{threads} thread(s): the CPU runs the layers the GPU cannot hold")
    elif not on_gpu:
        reasons.append(
            f"{threads} thread(s) per worker: {report.cpu.physical_cores} physical cores"
            f" shared by {workers} workers"
        )
    n_gpu_layers = split.n_gpu_layers if split else -1 if on_gpu else 0
    if split is not None:
        reasons.append(split.reason)
    else:
        reasons.append("all layers on the GPU (n_gpu_layers=-1)" if on_gpu
                       else "CPU only (n_gpu_layers=0)")
    return HardwarePlan(
        budget=budget,
        target=target,
        model=model,
        preferred=preferred,
        workers=workers,
        threads_per_worker=threads,
        n_gpu_layers=n_gpu_layers,
        context_length=_context_for(model),
        per_worker_bytes=per_worker,
        reasons=reasons,
        offload_ram_bytes=offload_ram,
    )


def _is_apple(budget: MemoryBudget, report: HardwareReport) -> bool:
    return any(d.vendor == "apple" and d.name in budget.device_names for d in report.gpus)


# How many workers vote by default where the backend batches: `hive bench quality` (dev split,
# docs/quality.md) put the embedded model's vote at 0.545 with 3, 0.580 with 5 and 0.590 with 8,
# and 5 batched slots take about 1.9x the time of 2 on a 2-core CPU (8: 2.8x).
VOTE_SIZE = 5


def slots_fit(plan: HardwarePlan, workers: int) -> bool:
    """Do ``workers`` fit when the plan's workers hold the weights and the others are slots of
    their processes (each extra slot needs its context's memory, not the weights)?"""
    weights = plan.model.file_size_bytes if plan.model else 0
    extra_slot = max(0, plan.per_worker_bytes - weights)
    used = plan.workers * plan.per_worker_bytes
    return used + (workers - plan.workers) * extra_slot <= plan.budget.usable_bytes


def vote_size(plan: HardwarePlan, batching: bool) -> tuple[int, str | None]:
    """How many workers a node runs on this plan, and why when that is not the plan's count:
    ``VOTE_SIZE`` where the backend batches and the extra slots fit in memory."""
    if not batching or plan.workers >= VOTE_SIZE or not slots_fit(plan, VOTE_SIZE):
        return plan.workers, None
    return VOTE_SIZE, (
        f"{VOTE_SIZE} workers vote: the size `hive bench quality` found best for accuracy "
        f"against time; past {plan.workers} process(es) they are batched slots (the weights "
        "once per process)"
    )



# Votes a worker serves at once where the backend batches (continuous batching across
# requests: every running vote's sequences share each decode step). A GPU decodes 8 or 16
# sequences in little more time than one. A CPU gains less, and only once a step's rows come
# in sequence order (docs/performance.md): `hive bench load` on a 2-core EPYC, 2 workers, 8
# concurrent votes, the embedded model: 1.27x with 8 votes per worker against 1.01x with one,
# and no slower for a single user; the same model in Q8_0, 1.62x.
CONCURRENT_VOTES = 4
CPU_CONCURRENT_VOTES = 8


def concurrent_votes(
    requested: int | None,
    plan: HardwarePlan | None,
    workers: int,
    widest: int,
    batching: bool,
    most_slots: int,
) -> tuple[int, str | None]:
    """How many votes each worker serves at once, and why: what the setting asks (within the
    engine's ``most_slots`` sequences per process; ``widest``: a process's most workers), else
    ``CONCURRENT_VOTES`` where the backend batches on a GPU (``CPU_CONCURRENT_VOTES`` on a
    CPU), fewer where the extra sequences' context memory does not fit the budget. Without a
    hardware plan (tests, a model and workers given) there is no budget to size them by: one."""
    bound = max(1, most_slots // max(1, widest))
    if requested:
        votes = min(requested, bound)
        return votes, f"each worker serves {votes} votes at once (requested)"
    if plan is None or not batching:
        return 1, None
    on_gpu = plan.n_gpu_layers != 0
    votes = min(CONCURRENT_VOTES if on_gpu else CPU_CONCURRENT_VOTES, bound)
    while votes > 1 and not slots_fit(plan, workers * votes):
        votes -= 1
    if votes == 1:
        return 1, None
    return votes, (
        f"each worker serves {votes} votes at once: concurrent requests share one batch "
        f"on the {'GPU' if on_gpu else 'CPU'} (continuous batching)"
    )
