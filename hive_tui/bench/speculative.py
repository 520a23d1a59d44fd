"""``hive bench speculative``: greedy tokens/s with and without drafting, in one run.

Two prompts: an edit of pasted code (the answer copies most of its input, where prompt-lookup
drafts hit) and free writing (little to copy). Both engines are loaded in this process and
run interleaved (A B A B ...), so a machine shared with other work slows both alike; the
table shows medians and the ratio against the baseline of the same run. Each run also
checks that the drafted answer is the baseline's, token for token.
"""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import dataclass

from hive_tui import wire

_FUNCTIONS = """
def parse_orders(lines):
    orders = []
    for line in lines:
        fields = line.strip().split(",")
        if len(fields) < 3:
            continue
        name, qty, price = fields[0], int(fields[1]), float(fields[2])
        orders.append((name, qty, price))
    return orders


def order_total(orders):
    total = 0.0
    for name, qty, price in orders:
        total += qty * price
    return total


def most_ordered(orders):
    counts = {}
    for name, qty, price in orders:
        counts[name] = counts.get(name, 0) + qty
    best = None
    for name, qty in counts.items():
        if best is None or qty > counts[best]:
            best = name
    return best


def report(lines):
    orders = parse_orders(lines)
    total = order_total(orders)
    best = most_ordered(orders)
    return f"{len(orders)} orders, total {total:.2f}, most ordered: {best}"
"""

PROMPTS = {
    "edit code": "Rename the variable `orders` to `purchases` everywhere in this Python code "
                 "and return the whole code, nothing else:\n\n```python" + _FUNCTIONS + "```",
    "free writing": "Write a short story about a lighthouse keeper who finds a message in a "
                    "bottle.",
}


@dataclass
class Result:
    prompt: str
    mode: str
    tps: list[float]
    tokens: int
    same_as_baseline: bool = True
    sampled: bool = False  # a vote's sampled slots: distributed alike, not the same text


def build_info() -> str:
    import llama_cpp

    from hive_tui.hardware.cpu import cpu_model_name

    try:
        with open("/proc/cpuinfo") as f:
            cpu = cpu_model_name(f.read()) or platform.processor()
    except OSError:
        cpu = platform.processor() or platform.machine()
    system = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    return f"CPU: {cpu}\nllama-cpp-python {llama_cpp.__version__}; llama.cpp: {system}"


def measure(model: str, modes: list[str], ntok: int, threads: int, ngl: int, draft_max: int,
            draft_model: str, runs: int) -> list[Result]:
    from hive_tui.backends.llama_engine import LlamaEngine

    engines = {}
    for mode in ["off", *modes]:
        engine = LlamaEngine()
        engine.load(wire.Load(model_path=model, n_ctx=2048, n_threads=threads, n_gpu_layers=ngl,
                              speculative=mode, draft_max=draft_max, draft_model=draft_model,
                              prompt_cache=False))  # every run reads its prompt: like for like
        engines[mode] = engine
    results: list[Result] = []
    for name, text in PROMPTS.items():
        request = wire.Generate("bench", [wire.ChatMessage("user", text)],
                                wire.SamplingParams(temperature=0.0, max_tokens=ntok))
        by_mode = {mode: Result(name, mode, [], 0) for mode in engines}
        baseline = ""
        for _ in range(runs):
            for mode, engine in engines.items():  # interleaved: off, lookup, off, lookup ...
                started = time.perf_counter()
                done = engine.generate(request, lambda _: None, lambda: False)
                wall = time.perf_counter() - started
                row = by_mode[mode]
                row.tps.append(done.completion_tokens / wall)
                row.tokens = done.completion_tokens
                if mode == "off":
                    baseline = done.text
                elif done.text != baseline:
                    row.same_as_baseline = False
                print(f"  {name} / {mode}: {row.tps[-1]:.1f} tok/s", flush=True)
        results += by_mode.values()
    return results


def table(results: list[Result]) -> str:
    lines = [f"{'prompt':<25}{'drafting':<10}{'tokens':>7}{'median tok/s':>14}{'x off':>8}"
             f"{'runs':>6}  same text"]
    for prompt in dict.fromkeys(r.prompt for r in results):
        rows = [r for r in results if r.prompt == prompt]
        base = next(statistics.median(r.tps) for r in rows if r.mode == "off")
        for r in rows:
            tps = statistics.median(r.tps)
            lines.append(f"{prompt:<25}{r.mode:<10}{r.tokens:>7}{tps:>14.1f}{tps / base:>8.2f}"
                         f"{len(r.tps):>6}  {_same(r)}")
    return "\n".join(lines)


def _same(r: Result) -> str:
    if r.sampled:
        return "(sampled)"
    return "yes" if r.same_as_baseline else "NO"


def measure_vote(model: str, ntok: int, threads: int, ngl: int, draft_max: int, runs: int,
                 slots: int = 4) -> list[Result]:
    """A vote of ``slots`` sampled sequences in the batched engine (the node's temperature,
    seeded), with and without lookup drafting: aggregate tokens/s over all slots."""
    from hive_tui.backends.batched_engine import BatchedLlamaEngine
    from hive_tui.backends.engine import BatchHost
    from hive_tui.swarm.swarm import derive_seed

    class Quiet(BatchHost):
        def __init__(self) -> None:
            self.done_tokens = 0

        def token(self, request: wire.Generate, text: str) -> None:
            pass

        def done(self, done: wire.Done) -> None:
            self.done_tokens += done.completion_tokens

        def failed(self, request: wire.Generate, message: str) -> None:
            raise RuntimeError(message)

        def cancelled(self, request: wire.Generate) -> bool:
            return False

        def admit(self, free: int) -> list[wire.Generate]:
            return []

    engines = {}
    for mode in ("off", "lookup"):
        engine = BatchedLlamaEngine()
        engine.load(wire.Load(model_path=model, n_ctx=2048, n_threads=threads, n_gpu_layers=ngl,
                              slots=slots, speculative=mode, draft_max=draft_max,
                              prompt_cache=False))
        engines[mode] = engine
    results: list[Result] = []
    for name, text in PROMPTS.items():
        vote = [
            wire.Generate("bench", [wire.ChatMessage("user", text)], wire.SamplingParams(
                temperature=wire.DEFAULT_TEMPERATURE, top_p=wire.DEFAULT_TOP_P,
                min_p=wire.DEFAULT_MIN_P, max_tokens=ntok,
                seed=derive_seed(7, slot)), slot=slot)
            for slot in range(slots)
        ]
        label = f"{name}, vote of {slots}"
        by_mode = {mode: Result(label, mode, [], 0, sampled=True) for mode in engines}
        for _ in range(runs):
            for mode, engine in engines.items():
                host = Quiet()
                started = time.perf_counter()
                engine.run_batch(vote, host)
                row = by_mode[mode]
                row.tps.append(host.done_tokens / (time.perf_counter() - started))
                row.tokens = host.done_tokens
                print(f"  {label} / {mode}: {row.tps[-1]:.1f} tok/s", flush=True)
        results += by_mode.values()
    return results


def run(model: str | None, modes: list[str], ntok: int, threads: int, ngl: int,
        draft_max: int, draft_model: str | None, runs: int) -> int:
    from hive_tui.node_plan import resolve_model

    path, name = resolve_model(model, "llama")
    if draft_model and "draft" not in modes:
        modes = [*modes, "draft"]
    modes = [m for m in modes if m != "draft" or draft_model]
    print(f"hive bench speculative: {name}, {ntok} tokens, {threads} thread(s), "
          f"n_gpu_layers={ngl}, draft_max={draft_max}, greedy, one sequence", flush=True)
    print(build_info(), flush=True)
    results = measure(path, modes, ntok, threads, ngl, draft_max, draft_model or "",
                      max(1, runs))
    if "lookup" in modes:
        results += measure_vote(path, ntok, threads, ngl, draft_max, max(1, runs))
    print(table(results))
    return 0 if all(r.same_as_baseline for r in results) else 1
