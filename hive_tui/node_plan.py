"""What a node will run, and why: the model, the workers and how they are laid out in
processes, from the flags and settings first and the hardware plan for whatever they leave
open. ``Node`` (``hive_tui.node``) runs the plan; ``hive hardware`` shows the machine's side of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hive_tui.backends.mlx_models import display_name
from hive_tui.config import Settings, free_cores, threads_per_worker, usable_cores
from hive_tui.embedded_model import EMBEDDED_MODEL_NAME, embedded_model_path
from hive_tui.errors import HiveError
from hive_tui.hardware.forced_model import gpu_layers_for
from hive_tui.hardware.plan import concurrent_votes, vote_size
from hive_tui.swarm.layout import MAX_SLOTS, Layout, ProcessLayout, layout_for
from hive_tui.wire import HardwarePlan, ModelCatalog

# Without a hardware plan, three workers: the smallest swarm where a majority means something.
FALLBACK_WORKERS = 3
# A worker's context when neither --n-ctx nor the hardware plan gives one (a model named on
# the command line): enough for a chat turn with the small models hive runs on CPUs. The
# plan's own model gets the context the plan budgeted memory for (`hive hardware` shows it).
DEFAULT_N_CTX = 2048
# Backends with a batched engine (several workers as slots of one process, weights once).
BATCHED_BACKENDS = ("llama",)


@dataclass(frozen=True)
class NodePlan:
    """What this node will run, and why (logged at start, shown by /health and the TUI)."""

    model_path: str
    model_name: str
    workers: int
    threads: int
    n_ctx: int
    n_gpu_layers: int
    backend: str
    reasons: tuple[str, ...]
    # Processes and their slots; None: one process per worker with ``threads`` threads.
    layout: Layout | None = field(default=None)
    concurrency: int = 1  # votes each worker serves at once (sequences of its process's batch)

    def processes(self) -> tuple[ProcessLayout, ...]:
        if self.layout is not None:
            return self.layout.processes
        return tuple(ProcessLayout(1, self.threads) for _ in range(self.workers))


class ModelMissing(HiveError, FileNotFoundError):
    """--model names neither a model file nor a model `hive models` lists, or a folder that
    only MLX workers load."""


def listed_backends(backend: str) -> list[str]:
    """A ``--backend`` value is one backend for every worker (``mlx``) or one per worker
    (``llama,llama,mlx``: a mixed swarm voting together)."""
    return [b.strip() for b in backend.split(",") if b.strip()] or ["llama"]


def worker_backends(backend: str, workers: int) -> list[str]:
    """The backend of each worker; a list shorter than the swarm repeats in order."""
    names = listed_backends(backend)
    return [names[i % len(names)] for i in range(workers)]


def resolve_model(
    model: str | None,
    backend: str,
    models_dir: str | None = None,
    catalog: ModelCatalog | None = None,
) -> tuple[str, str]:
    """(path, display name) for a --model value: a file, an mlx-lm folder, or a name from the
    catalogue (`hive models`; ``catalog`` when the caller has built it already); the embedded
    model when none is given."""
    if backend == "scripted":
        return model or "", "scripted"
    if not model or model in ("embedded", EMBEDDED_MODEL_NAME):
        path = embedded_model_path()
        return str(path), EMBEDDED_MODEL_NAME
    candidate = Path(model).expanduser()
    if candidate.is_file():
        return str(candidate), candidate.stem
    # An mlx-lm model folder; only MLX workers can load one (any backend can load a GGUF).
    if candidate.is_dir():
        if set(listed_backends(backend)) == {"mlx"}:
            return str(candidate), display_name(candidate)
        raise ModelMissing(f"model {model!r} is a folder: only --backend mlx loads one")
    from hive_tui.models.catalog import ModelNotFound, build_catalog, find_model

    try:
        found = find_model(catalog or build_catalog(models_dir=models_dir or None), model)
    except ModelNotFound as exc:
        raise ModelMissing(str(exc)) from None
    return found.path, found.name


def _planned_context(settings: Settings, hardware: HardwarePlan | None) -> int:
    if hardware is not None and hardware.model is not None and not settings.model:
        return hardware.context_length  # what the plan sized memory and workers for
    return DEFAULT_N_CTX


def make_plan(settings: Settings) -> NodePlan:
    """Flags and settings win; whatever they leave open comes from the hardware plan."""
    listed = len(listed_backends(settings.backend))
    catalog: ModelCatalog | None = None
    if "scripted" in listed_backends(settings.backend) or (settings.model and settings.workers):
        hardware = None
    else:
        from hive_tui.models.catalog import build_catalog

        catalog = build_catalog(models_dir=settings.models_dir or None)  # read once, used twice
        hardware = hardware_plan(catalog)
    reasons: list[str] = list(hardware.reasons) if hardware else []
    if settings.model or hardware is None or hardware.model is None:
        path, name = resolve_model(settings.model, settings.backend, settings.models_dir, catalog)
    else:
        path, name = hardware.model.path, hardware.model.name
    if settings.workers:
        workers = settings.workers
        reasons.append(f"{workers} workers (requested)")
    elif listed > 1:
        workers = listed
        reasons.append(f"{workers} workers (one per listed backend)")
    else:
        workers = hardware.workers if hardware else FALLBACK_WORKERS
        if hardware:
            workers, why = vote_size(hardware, settings.backend in BATCHED_BACKENDS)
            reasons.extend([why] if why else [])
    n_gpu_layers = settings.n_gpu_layers
    if n_gpu_layers is None:  # the plan's, or as many layers of a named model as fit
        n_gpu_layers, why = gpu_layers_for(hardware, catalog if settings.model else None, path,
                                           settings.n_ctx or _planned_context(settings, hardware))
        reasons.extend([why] if why else [])
    if listed > 1:
        # A mixed swarm: every worker its own process, with its own backend.
        threads = threads_per_worker(workers, settings.threads)
        layout = Layout(
            tuple(
                ProcessLayout(1, threads, backend)
                for backend in worker_backends(settings.backend, workers)
            ),
            (f"a process per worker for the mixed backends {settings.backend}",),
        )
    else:
        layout = layout_for(
            workers,
            free_cores(),
            gpu=n_gpu_layers != 0,
            batching=settings.backend in BATCHED_BACKENDS,
            threads=settings.threads,
            max_slots=min(settings.slots or MAX_SLOTS, MAX_SLOTS),
            usable_cores=usable_cores(),
        )
    reasons.append(layout.describe())
    reasons.extend(layout.reasons)
    threads = layout.processes[0].threads
    batching = listed == 1 and settings.backend in BATCHED_BACKENDS
    widest = max(p.slots for p in layout.processes)
    most = min(settings.slots or MAX_SLOTS, MAX_SLOTS)
    concurrency, why = concurrent_votes(
        settings.concurrent_votes, hardware, workers, widest, batching, most)
    reasons.extend([why] if why else [])
    return NodePlan(
        model_path=path,
        model_name=name,
        workers=workers,
        threads=threads,
        n_ctx=settings.n_ctx or _planned_context(settings, hardware),
        n_gpu_layers=n_gpu_layers,
        backend=settings.backend,
        reasons=tuple(reasons),
        layout=layout,
        concurrency=concurrency,
    )


def hardware_plan(catalog: ModelCatalog | None = None) -> HardwarePlan:
    from hive_tui.hardware import detect_hardware
    from hive_tui.hardware.plan import plan_hardware
    from hive_tui.models.catalog import build_catalog

    return plan_hardware(detect_hardware(), catalog or build_catalog())
