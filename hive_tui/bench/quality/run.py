"""The command: generate (or load) the answers, score every strategy, print and save."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from hive_tui.bench.quality import report
from hive_tui.bench.quality.collect import collect
from hive_tui.bench.quality.evaluate import evaluate
from hive_tui.bench.quality.store import AnswerStore
from hive_tui.bench.quality.tasks import questions
from hive_tui.bench.quality.variants import all_strategies


@dataclass(frozen=True)
class Plan:
    per_task: int
    k: int
    reps: int


# Sized for a 2-core machine with 2 workers of 1 thread: quick < 5 min, full < 20 min.
QUICK = Plan(per_task=6, k=8, reps=8)
FULL = Plan(per_task=25, k=8, reps=12)


def run(
    *,
    quick: bool,
    out: Path,
    answers: Path | None = None,
    model: str | None = None,
    backend: str = "llama",
    workers: int = 2,
    threads: int = 1,
    per_task: int | None = None,
    k: int | None = None,
    seed: int = 0,
    explore: bool = True,
) -> int:
    from hive_tui.node import resolve_model

    plan = QUICK if quick else FULL
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if answers is not None:
        store = AnswerStore.load(answers)
        print(f"scoring stored answers from {answers}", file=sys.stderr)
    else:
        path, name = resolve_model(model, backend)
        qs = questions(per_task or plan.per_task, seed)
        k = k or plan.k
        print(
            f"generating {len(qs)} x (1 greedy + {k} sampled) answers with {workers} "
            f"{backend} workers x {threads} thread ...",
            file=sys.stderr,
        )
        store = asyncio.run(
            collect(
                qs,
                k,
                path,
                name,
                seed=seed,
                workers=workers,
                threads=threads,
                backend=backend,
            )
        )
        store.save(out / "answers.json")
    ev = evaluate(store, all_strategies(explore), reps=plan.reps, seed=seed)
    s = report.summary(store, ev, report.choose_default(ev))
    s["total_wall_s"] = time.perf_counter() - started
    (out / "quality.json").write_bytes(msgspec.json.format(msgspec.json.encode(s), indent=1))
    print(report.table(s))
    drew = report.chart(s, out / "quality.png")
    saved = "quality.json" + (
        ", quality.png" if drew else " (no chart: pip install matplotlib, or the [bench] extra)"
    )
    print(f"saved {saved} and answers under {out} in {s['total_wall_s']:.0f} s")
    return 0
