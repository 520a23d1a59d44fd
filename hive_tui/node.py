"""A node: the swarm of local workers, its event bus and its identity, without any front end.

``hive --node`` puts the HTTP API in front of it; ``hive`` (the TUI) runs the same object in
process. Nothing here knows about HTTP or Textual.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from hive_tui import wire
from hive_tui.bus import EventBus
from hive_tui.config import Settings, data_dir, free_cores, usable_cores
from hive_tui.embedded_model import EMBEDDED_MODEL_NAME, embedded_model_path
from hive_tui.swarm.engine_process import EngineProcess, ProcessSpec
from hive_tui.swarm.layout import MAX_SLOTS, Layout, ProcessLayout, plan_layout
from hive_tui.swarm.swarm import Swarm
from hive_tui.swarm.worker import Worker, WorkerSpec

log = logging.getLogger("hive.node")

# Without a hardware plan, three workers: the smallest swarm where a majority means something.
FALLBACK_WORKERS = 3
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

    def processes(self) -> tuple[ProcessLayout, ...]:
        if self.layout is not None:
            return self.layout.processes
        return tuple(ProcessLayout(1, self.threads) for _ in range(self.workers))


def resolve_model(model: str | None, backend: str) -> tuple[str, str]:
    """(path, display name) for a --model value; the embedded model when none is given."""
    if backend == "scripted":
        return model or "", "scripted"
    if not model or model in ("embedded", EMBEDDED_MODEL_NAME):
        path = embedded_model_path()
        return str(path), EMBEDDED_MODEL_NAME
    candidate = Path(model).expanduser()
    if candidate.is_file():
        return str(candidate), candidate.stem
    raise FileNotFoundError(f"model {model!r} is neither a file nor a known model name")


def make_plan(settings: Settings) -> NodePlan:
    path, name = resolve_model(settings.model, settings.backend)
    reasons = []
    workers = settings.workers
    if workers is None:
        workers = FALLBACK_WORKERS
        reasons.append(f"{workers} workers (default)")
    else:
        reasons.append(f"{workers} workers (requested)")
    # The hardware plan will say whether this model runs on a GPU; until then, offload does.
    layout = plan_layout(
        workers,
        free_cores(),
        gpu=settings.n_gpu_layers != 0,
        batching=settings.backend in BATCHED_BACKENDS,
        threads=settings.threads,
        max_slots=min(settings.slots or MAX_SLOTS, MAX_SLOTS),
        usable_cores=usable_cores(),
    )
    reasons.append(layout.describe())
    reasons.extend(layout.reasons)
    threads = layout.processes[0].threads
    return NodePlan(
        model_path=path,
        model_name=name,
        workers=workers,
        threads=threads,
        n_ctx=settings.n_ctx,
        n_gpu_layers=settings.n_gpu_layers,
        backend=settings.backend,
        reasons=tuple(reasons),
        layout=layout,
    )


def load_node_id(folder: Path | None = None) -> str:
    """A stable id for this node, created once in the data folder."""
    folder = folder or data_dir()
    path = folder / "node_id"
    try:
        existing = path.read_text().strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    node_id = f"node-{uuid.uuid4().hex[:12]}"
    path.write_text(node_id + "\n")
    return node_id


class Node:
    def __init__(self, settings: Settings, plan: NodePlan, node_id: str | None = None) -> None:
        self.settings = settings
        self.plan = plan
        self.node_id = node_id or load_node_id()
        self.bus = EventBus()
        self.workers: list[Worker] = []
        for process in plan.processes():
            index = len(self.workers)  # a process is known by its first worker's index
            load = wire.Load(
                model_path=plan.model_path,
                n_ctx=plan.n_ctx,
                n_threads=process.threads,
                n_gpu_layers=plan.n_gpu_layers,
                slots=process.slots,
            )
            engine = EngineProcess(ProcessSpec(index, plan.backend, load), self.bus)
            for slot in range(process.slots):
                spec = WorkerSpec(
                    worker_id=f"w{index + slot}",
                    index=index + slot,
                    backend=plan.backend,
                    load=load,
                    node_id=self.node_id,
                    slot=slot,
                )
                self.workers.append(Worker(spec, self.bus, engine))
        self.swarm = Swarm(self.workers, self.bus, self.node_id)

    async def start(self) -> None:
        log.info(
            "starting %d %s worker(s) on %s: %s",
            self.plan.workers, self.plan.backend, self.plan.model_name, "; ".join(self.plan.reasons),
        )
        await self.swarm.start()

    async def stop(self) -> None:
        await self.swarm.stop()

    def health(self) -> dict[str, object]:
        statuses = self.swarm.statuses()
        ready = sum(1 for s in statuses if s.state in ("idle", "generating"))
        state = "ok" if ready == len(statuses) else ("degraded" if ready else "unavailable")
        return {
            "status": state,
            "node_id": self.node_id,
            "node_name": self.settings.node_name,
            "model": self.plan.model_name,
            "backend": self.plan.backend,
            "strategy": self.settings.strategy,
            "workers_ready": ready,
            "workers": statuses,
            "plan": list(self.plan.reasons),
        }
