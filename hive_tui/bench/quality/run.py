"""The command: generate (or load) the answers, score every strategy on both splits, report.

Strategies are chosen on the dev split and reported on the test split (``tasks.split_of``):
the table printed is the test split's; the dev split's choice is printed under it, next to
the configured default, so a default tuned on what it is reported on would show.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from hive_tui.bench.quality import early_exit, report
from hive_tui.bench.quality.collect import collect
from hive_tui.bench.quality.evaluate import evaluate
from hive_tui.bench.quality.store import AnswerStore
from hive_tui.bench.quality.tasks import SPLITS, questions
from hive_tui.bench.quality.variants import all_strategies
from hive_tui.consensus import DEFAULT_STRATEGY
from hive_tui.wire import DEFAULT_MAX_TOKENS


@dataclass(frozen=True)
class Plan:
    per_task: int
    k: int
    reps: int


# Sized for a 2-core machine with 2 workers of 1 thread: quick about 5 min, full about 30.
QUICK = Plan(per_task=3, k=8, reps=8)
FULL = Plan(per_task=30, k=8, reps=12)


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
    full_length: int | None = None,
) -> int:
    from hive_tui.node_plan import resolve_model

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
    if full_length is None:
        full_length = 0 if quick else DEFAULT_MAX_TOKENS
    if full_length:  # (what an earlier run finished at this limit is kept)
        from hive_tui.bench.quality.extend import extend

        path, _ = resolve_model(model, backend)
        print(f"finishing the answers cut off at {store.max_tokens} tokens at the node's "
              f"{full_length}, for early exit ...", file=sys.stderr)
        store = asyncio.run(
            extend(store, path, max_tokens=full_length, workers=workers, threads=threads,
                   backend=backend)
        )
        store.save(out / "answers.json")
    strategies = all_strategies(explore)
    summaries: dict[str, dict[str, Any]] = {}
    chosen: str | None = None
    for split in SPLITS:
        part = store.split(split)
        if not part.questions:
            continue
        ev = evaluate(part, strategies, reps=plan.reps, seed=seed)
        if split == "dev":
            chosen = report.choose_default(ev)
        s = report.summary(part, ev, chosen)
        s["split"] = split
        ee = early_exit.measure(part, DEFAULT_STRATEGY, s["focus_n"], plan.reps, seed)
        limit = store.full_max_tokens or store.max_tokens
        s["early_exit"] = {**ee, "max_tokens": limit} if ee else {}
        if store.full_max_tokens:
            s["full_length"] = report.full_length(
                part.at_full_length(), DEFAULT_STRATEGY, s["focus_n"], plan.reps, seed
            )
        summaries[split] = s
    shown = summaries.get("test") or summaries["dev"]
    shown["chosen_strategy"] = chosen
    doc = {"chosen_on_dev": chosen, "total_wall_s": time.perf_counter() - started, **summaries}
    (out / "quality.json").write_bytes(msgspec.json.format(msgspec.json.encode(doc), indent=1))
    print(report.table(shown))
    if "dev" in summaries and shown is not summaries["dev"]:
        print(report.dev_line(summaries["dev"]))
    drew = report.chart(shown, out / "quality.png")
    saved = "quality.json" + (
        ", quality.png" if drew else " (no chart: pip install matplotlib, or the [bench] extra)"
    )
    print(f"saved {saved} and answers under {out} in {doc['total_wall_s']:.0f} s")
    return 0
