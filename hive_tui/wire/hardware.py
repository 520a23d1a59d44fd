"""Hardware reports and plans: what `hive hardware --json` and `hive models --json` print."""

from __future__ import annotations

import msgspec

# --- hardware report and plan
# What `hive hardware --json` and `hive models --json` print, and what a node will later send to
# its peers so they can compare machines. Sizes are bytes; None means "the source could not say".


class GpuProcess(msgspec.Struct, frozen=True, kw_only=True):
    """A process holding memory on a GPU, as the driver lists it."""

    pid: int
    used_memory_bytes: int | None = None  # None: the driver would not say (e.g. under WDDM)


class Device(msgspec.Struct, frozen=True, kw_only=True):
    """One accelerator (or, for unified-memory machines, the SoC) as a detector saw it."""

    vendor: str  # "nvidia" | "amd" | "intel" | "apple" | "qualcomm" | "cpu"
    name: str
    index: int = 0
    # the llama.cpp backend that would drive it: "cuda", "rocm", "sycl", "metal", "cpu"
    backend: str = ""
    total_memory_bytes: int | None = None
    free_memory_bytes: int | None = None
    utilisation_percent: float | None = None
    temperature_c: float | None = None
    unified_memory: bool = False  # memory shared with the CPU (Apple, phones, APUs, iGPUs)
    # Added later, so defaulted: an older peer's report still decodes.
    memory_utilisation_percent: float | None = None  # memory-controller busy time
    power_watts: float | None = None
    power_limit_watts: float | None = None
    processes: list[GpuProcess] = []


class ProbeResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one detection source found; found=False always carries the reason."""

    # "nvml", "nvidia-smi", "rocm-smi", "amd-smi", "sycl-ls", "sysctl", "termux", "psutil"
    source: str
    found: bool
    reason: str = ""
    devices: list[Device] = []


class CpuInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    architecture: str
    physical_cores: int
    logical_cores: int  # the cores this process may run on (what `nproc` says)
    total_ram_bytes: int
    available_ram_bytes: int
    load_average_1m: float | None = None


class HardwareReport(msgspec.Struct, frozen=True, kw_only=True):
    platform: str
    cpu: CpuInfo
    gpus: list[Device] = []  # every accelerator any probe found, in probe order
    probes: list[ProbeResult] = []


class MemoryBudget(msgspec.Struct, frozen=True, kw_only=True):
    """Memory the workers may use, split into pools: one per GPU, or a single RAM pool."""

    kind: str  # "gpu" | "unified" | "ram"
    usable_bytes: int
    pools: list[int]  # one model copy must fit inside one pool
    explanation: str
    device_names: list[str] = []


class ModelFile(msgspec.Struct, frozen=True, kw_only=True):
    """A GGUF file on this machine, described from its own metadata."""

    path: str
    name: str
    source: str  # "embedded" | "huggingface" | "lmstudio" | "llama.cpp" | "ollama" | "models_dir"
    file_size_bytes: int
    architecture: str | None = None
    parameter_count: int | None = None
    size_label: str | None = None
    quantisation: str | None = None
    context_length: int | None = None
    layer_count: int | None = None
    kv_bytes_per_token: int | None = None  # f16 K+V cache per token of context, from the metadata


class ModelCatalog(msgspec.Struct, frozen=True, kw_only=True):
    models: list[ModelFile] = []
    searched: list[str] = []  # folders looked at, so a user can see why a file was not found
    problems: list[str] = []  # unreadable files and manifests, one line each


class ModelSuggestion(msgspec.Struct, frozen=True, kw_only=True):
    """A model size the plan would like, with a well-known GGUF to pull for it."""

    size_label: str
    parameter_count: int
    quantisation: str
    approx_file_bytes: int
    repo: str = ""
    filename: str = ""


class HardwarePlan(msgspec.Struct, frozen=True, kw_only=True):
    """What the hardware calls for (`hive hardware`): the node's plan (`node_plan.NodePlan`) takes
    what the flags and settings leave open from it."""

    budget: MemoryBudget
    target: ModelSuggestion  # what the memory alone calls for
    model: ModelFile | None  # the best local file that fits, None when nothing fits
    preferred: ModelSuggestion | None  # a larger model worth pulling, None when `model` is enough
    workers: int
    threads_per_worker: int
    n_gpu_layers: int  # -1: every layer on the GPU; 0: CPU only; n: that many (a split)
    context_length: int
    per_worker_bytes: int
    reasons: list[str] = []
    # RAM the layers left on the CPU may use when a model is split between GPU and CPU
    # (partial n_gpu_layers); 0 where the plan did not size it.
    offload_ram_bytes: int = 0


class HardwareSummary(msgspec.Struct, frozen=True, kw_only=True):
    report: HardwareReport
    plan: HardwarePlan
