"""``hive bench swarm``: what a vote of N costs, four ways, in one run.

For N = 1, 2, 4, 8 on the same prompt, model, thread count and greedy decoding:

* raw single: llama-cpp-python, one sequence at a time, N of them (``swarm_raw single``);
* raw batched: llama-cpp-python's low-level API, N sequences in one context and nothing
  else per token (``swarm_raw batched``): the ceiling;
* N processes: a node of N workers, one process each (the original design);
* hive engine: a node of N workers as the N slots of one engine process;
* hive plan: the node as ``layout_for`` would lay it out with every usable core (on a CPU,
  a process per core and slots beyond), shown when that differs from the engine row.

With ``--runs`` above 1 the paths run in turn that many times (so a busy neighbour slows all
of them alike) and each row shows its median run.

Aggregate tokens/s is all completion tokens over the wall time of the full vote (prompt
included), so it is also the time a user waits. Peak memory is the PSS (proportional set
size: shared pages split between the processes that map them) summed over the processes that
hold a model, sampled while they generate; the node process itself is left out (the same for
both node rows). With a GPU, the device memory in use above the start is shown too.
Tokens per CPU-second (user + system time of those processes during the run) is what a path
costs regardless of neighbours: on a busy shared machine, wall-clock tokens/s favours the
path that runs the most threads, since each thread gets its share of the cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil

from hive_tui import wire
from hive_tui.bench.swarm_raw import BENCH_N_CTX

if TYPE_CHECKING:
    from hive_tui.swarm.layout import Layout

PROMPT = "Write a detailed story about a lighthouse keeper who finds a message in a bottle."
PATHS = ("raw single", "raw batched", "N processes", "hive engine", "hive plan")


@dataclass(frozen=True)
class Row:
    n: int
    path: str
    tokens: int
    wall_s: float
    pss_bytes: int
    gpu_bytes: int | None
    cpu_s: float = 0.0  # CPU time (user + system) the generating processes spent on the run

    @property
    def tps(self) -> float:
        return self.tokens / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def tokens_per_cpu_s(self) -> float:
        """Tokens per CPU-second: what a path costs whatever its neighbours on the machine
        take, where tokens/s on a shared box favours the path with the most threads."""
        return self.tokens / self.cpu_s if self.cpu_s > 0 else 0.0


def cpu_seconds(pids: Iterable[int]) -> float:
    total = 0.0
    for pid in set(pids):
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


class MemorySampler:
    """Peak of the summed PSS of some processes (and of GPU memory in use), in a thread."""

    def __init__(self, pids: Callable[[], Iterable[int]], period_s: float = 0.1) -> None:
        self._pids = pids
        self._period = period_s
        self._stop = threading.Event()
        self.peak_pss = 0
        self._gpu = GPU_MEMORY
        self.peak_gpu: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self.sample()

    def sample(self) -> None:
        total = 0
        for pid in set(self._pids()):
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(pid).memory_full_info().pss
        self.peak_pss = max(self.peak_pss, total)
        if (used := self._gpu.used()) is not None:
            self.peak_gpu = max(self.peak_gpu or 0, used)


class _GpuMemory:
    """Device memory in use above what was in use before the bench loaded anything (NVIDIA
    only; the bench runs one path at a time, so that is the path's own use)."""

    def __init__(self) -> None:
        self._handle = None
        self._base = 0

    def start(self) -> None:
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            self._nvml = pynvml
            self._base = self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used
        except Exception:  # no NVIDIA driver or library: CPU only
            self._handle = None

    def used(self) -> int | None:
        if self._handle is None:
            return None
        return max(0, int(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used) - self._base)


GPU_MEMORY = _GpuMemory()


def run_raw(mode: str, model: str, n: int, ntok: int, threads: int, ngl: int) -> Row:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hive_tui.bench.swarm_raw", mode, model, str(n), str(ntok),
         str(threads), str(ngl), PROMPT],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"raw {mode} baseline failed to start")
        # Sampled from here on, like the node rows: while generating, not while loading.
        cpu_before = cpu_seconds([proc.pid])
        with MemorySampler(lambda: [proc.pid]) as mem:
            proc.stdin.write("go\n")
            proc.stdin.flush()
            result = json.loads(proc.stdout.readline())
            cpu = cpu_seconds([proc.pid]) - cpu_before
    finally:
        proc.stdin.close()
        proc.wait(60)
    return Row(n, f"raw {mode}", result["tokens"], result["wall_s"], mem.peak_pss, mem.peak_gpu,
               cpu)


async def run_node(path: str, model: str, n: int, ntok: int, threads: int, ngl: int) -> Row:
    from hive_tui.config import load_settings
    from hive_tui.node import Node
    from hive_tui.node_plan import make_plan
    from hive_tui.swarm.request import resolve_request

    settings = load_settings({"workers": n, "threads": threads, "model": model,
                              "n_gpu_layers": ngl, "n_ctx": BENCH_N_CTX}, environ={})
    layout = bench_layout(path, n, threads, ngl)
    assert layout is not None
    plan = dataclasses.replace(make_plan(settings), layout=layout)
    node = Node(settings, plan, node_id="bench")
    await node.start()
    try:
        messages = [wire.ChatMessage("user", PROMPT)]
        await node.swarm.run(resolve_request(messages, seed=1, temperature=0.0, max_tokens=4))
        # (the first request warms the workers up)
        pids = [p for w in node.workers if (p := w.pid)]
        cpu_before = cpu_seconds(pids)
        with MemorySampler(lambda: pids) as mem:
            started = time.perf_counter()
            result = await node.swarm.run(
                resolve_request(messages, seed=1, temperature=0.0, max_tokens=ntok)
            )
            wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        if result.degraded:
            raise RuntimeError(f"{path} N={n}: workers failed: {result.missing}")
    finally:
        await node.stop()
    tokens = sum(c.completion_tokens for c in result.candidates)
    return Row(n, path, tokens, wall, mem.peak_pss, mem.peak_gpu, cpu)


def bench_layout(path: str, n: int, threads: int, ngl: int) -> Layout | None:
    from hive_tui.swarm.layout import Layout, ProcessLayout, layout_for

    if path == "hive engine":
        return Layout((ProcessLayout(n, threads),), ("bench: one process, N slots",))
    if path == "N processes":
        return Layout(tuple(ProcessLayout(1, threads) for _ in range(n)), ("bench",))
    cores = len(psutil.Process().cpu_affinity() or []) or psutil.cpu_count() or 1
    planned = layout_for(n, cores, gpu=ngl != 0, threads=threads)
    if len(planned.processes) == 1 or len(planned.processes) == n:
        return None  # the same as the engine row, or as the N-processes row
    return planned


def measure(model: str, sizes: list[int], ntok: int, threads: int, ngl: int, runs: int,
            progress: Callable[[Row], None]) -> list[Row]:
    GPU_MEMORY.start()
    rows = []
    for n in sizes:
        paths = [p for p in PATHS if p != "hive plan" or bench_layout(p, n, threads, ngl)]
        tries: dict[str, list[Row]] = {p: [] for p in paths}
        for _ in range(runs):
            for path in paths:
                if path.startswith("raw"):
                    row = run_raw(path.split()[1], model, n, ntok, threads, ngl)
                else:
                    row = asyncio.run(run_node(path, model, n, ntok, threads, ngl))
                progress(row)
                tries[path].append(row)
        for path in paths:
            ordered = sorted(tries[path], key=lambda r: r.tps)
            rows.append(ordered[len(ordered) // 2])
    return rows


def table(rows: list[Row]) -> str:
    gpu = any(r.gpu_bytes is not None for r in rows)
    head = (f"{'N':>2}  {'path':<12}{'tokens':>7}{'wall s':>8}{'tok/s':>9}"
            f"{'x procs':>9}{'x best raw':>11}{'tok/CPU-s':>10}{'PSS MiB':>9}"
            + (f"{'GPU MiB':>9}" if gpu else ""))
    lines = [head]
    for n in sorted({r.n for r in rows}):
        group = {r.path: r for r in rows if r.n == n}
        procs = group.get("N processes")
        best_raw = max((r.tps for p, r in group.items() if p.startswith("raw")), default=0.0)
        lines.append("")
        for path in PATHS:
            if (r := group.get(path)) is None:
                continue
            vs_procs = r.tps / procs.tps if procs and procs.tps else float("nan")
            vs_raw = r.tps / best_raw if best_raw else float("nan")
            line = (f"{n:>2}  {path:<12}{r.tokens:>7}{r.wall_s:>8.2f}{r.tps:>9.1f}"
                    f"{vs_procs:>9.2f}{vs_raw:>11.2f}{r.tokens_per_cpu_s:>10.1f}"
                    f"{r.pss_bytes / 2**20:>9.0f}")
            if gpu:
                line += f"{(r.gpu_bytes or 0) / 2**20:>9.0f}"
            lines.append(line)
    return "\n".join(lines)


def chart(rows: list[Row], path: str, title: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    sizes = sorted({r.n for r in rows})
    fig, (ax_tps, ax_mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in PATHS:
        pts = [(r.n, r.tps, r.pss_bytes / 2**20) for r in rows if r.path == name]
        if pts:
            ns, tps, mem = zip(*pts, strict=True)
            ax_tps.plot(ns, tps, marker="o", label=name)
            ax_mem.plot(ns, mem, marker="o", label=name)
    for ax, label in ((ax_tps, "aggregate tokens/s"), (ax_mem, "peak PSS, MiB")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.set_xlabel("sequences in the vote (N)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    ax_tps.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run(model: str | None, sizes: list[int], ntok: int, threads: int, ngl: int,
        out_png: str, json_out: str | None = None, runs: int = 1) -> int:
    from hive_tui.node_plan import resolve_model

    path, name = resolve_model(model, "llama")
    print(f"hive bench swarm: {name}, {ntok} tokens per sequence, {threads} thread(s), "
          f"n_gpu_layers={ngl}, greedy", flush=True)
    rows = measure(path, sizes, ntok, threads, ngl, max(1, runs),
                   lambda r: print(f"  N={r.n} {r.path}: {r.tps:.1f} tok/s", flush=True))
    print(table(rows))
    if json_out:
        with open(json_out, "w") as f:
            json.dump([dict(r.__dict__, tps=r.tps, tokens_per_cpu_s=r.tokens_per_cpu_s)
                       for r in rows], f, indent=1)
    saved = chart(rows, out_png, f"hive bench swarm: {name}, {threads} thread(s), ngl={ngl}")
    print(f"chart: {saved}" if saved else "chart: skipped (./install.sh bench)")
    return 0
