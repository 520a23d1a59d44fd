"""How a node's workers map onto engine processes: a pure function of the hardware.

Each worker is one sequence slot; a process holds one copy of the weights and decodes all its
slots in one batch per step. Measured (see docs/performance.md): on an H200, 8 sequences
batched in one context gave 2259 tokens/s where 8 processes gave 385; on a 2-core CPU with the
embedded model, 4 sequences batched on 1 thread gave ~137 tokens/s where 4 processes of 1
thread gave ~52. Hence:

* GPU: every worker is a slot of one process, so the weights sit in VRAM once.
* CPU: one process per core, 1 thread each (more threads per sequence scaled worse than
  more sequences per thread), and the workers beyond that become slots of those processes.
  Processes go by the usable cores, threads by the free ones: a 1-thread process just takes
  its share of a busy core, whereas a context with 2 threads on a 2-core box whose other core
  was busy collapsed from ~160 to under 10 tokens/s (its threads wait on each other).
* Either way, no process gets more than ``MAX_SLOTS`` slots: 32 slots in one CUDA context
  crashed llama.cpp (illegal instruction) where 16 ran, so larger swarms are split.
* A backend without a batched engine gets one process per worker, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_SLOTS = 16


@dataclass(frozen=True)
class ProcessLayout:
    slots: int
    threads: int
    backend: str = ""  # "": the node's backend; set for each worker of a mixed swarm


@dataclass(frozen=True)
class Layout:
    processes: tuple[ProcessLayout, ...]
    reasons: tuple[str, ...]

    @property
    def workers(self) -> int:
        return sum(p.slots for p in self.processes)

    def describe(self) -> str:
        """``2 processes x 2 slots`` or ``3+2 slots``: for logs and /health."""
        slots = [p.slots for p in self.processes]
        n = len(slots)
        if len(set(slots)) == 1:
            k = slots[0]
            return f"{n} process{'es' if n > 1 else ''} x {k} slot{'s' if k > 1 else ''}"
        return f"{n} processes with {'+'.join(map(str, slots))} slots"


def layout_for(
    workers: int,
    free_cores: int,
    gpu: bool,
    *,
    batching: bool = True,
    threads: int | None = None,
    max_slots: int = MAX_SLOTS,
    usable_cores: int | None = None,
) -> Layout:
    """Processes (with their slots and threads) for ``workers`` workers, and why.

    ``threads``: threads per process when the user asked for a number; otherwise the free
    cores are shared out. ``usable_cores`` (default: the free ones) bounds the number of CPU
    processes. ``batching``: whether the backend has a batched engine.
    """
    workers = max(1, workers)
    cores = max(1, free_cores)
    usable = max(cores, usable_cores or cores)
    reasons: list[str] = []
    if not batching:
        count = workers
        reasons.append("one process per worker: this backend has no batched engine")
    elif gpu:
        count = 1
        reasons.append("GPU: workers are slots of one process (weights in VRAM once, "
                       "one batched decode per step)")
    else:
        per_process = threads or 1
        count = min(workers, max(1, usable // per_process))
        reasons.append(f"CPU: {count} process(es) for {usable} usable core(s) at {per_process} "
                       "thread(s) each; more sequences per thread beat more threads per sequence")
    if batching and math.ceil(workers / count) > max_slots:
        count = math.ceil(workers / max_slots)
        why = "(32 crashed llama.cpp on CUDA)" if max_slots >= MAX_SLOTS else "(requested)"
        reasons.append(f"split into {count} processes: at most {max_slots} slot(s) each {why}")
    per_thread = threads or max(1, cores // count)
    slots = [workers // count + (1 if i < workers % count else 0) for i in range(count)]
    if batching and max(slots) > 1:
        reasons.append(f"{workers} workers as {'+'.join(map(str, slots))} slots")
    reasons.append(f"{per_thread} thread(s) per process"
                   + (" (requested)" if threads else " from the free cores"))
    return Layout(tuple(ProcessLayout(s, per_thread) for s in slots), tuple(reasons))
