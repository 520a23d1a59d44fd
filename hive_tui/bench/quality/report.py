"""The benchmark's output: a terminal table, a JSON document and a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hive_tui.bench.quality.evaluate import (
    Evaluation,
    Interval,
    agreement_table,
    evaluate,
    high_low,
    paired_ci,
    task_mask,
)
from hive_tui.bench.quality.store import AnswerStore
from hive_tui.bench.quality.tasks import TASKS
from hive_tui.consensus import DEFAULT_STRATEGY, STRATEGIES

FOCUS_N = 5  # the swarm size the acceptance criteria and the default choice are judged at


def _n(ev: Evaluation) -> int:
    return FOCUS_N if FOCUS_N in ev.ns else max(ev.ns)


def _tasks(ev: Evaluation) -> list[str]:
    return [t for t in TASKS if t in ev.tasks]


def task_diffs(ev: Evaluation, name: str, n: int) -> dict[str, float]:
    """Strategy minus single sample at n, per task (point estimates)."""
    acc = ev.results[name][n].acc
    return {
        t: float(acc[m].mean() - ev.single[m].mean())
        for t in _tasks(ev)
        if (m := task_mask(ev, t)).any()
    }


def task_intervals(ev: Evaluation, name: str, n: int) -> dict[str, Interval]:
    """Strategy minus single sample at n, per task, with paired bootstrap 95% intervals."""
    acc = ev.results[name][n].acc
    return {
        t: paired_ci(acc[m], ev.single[m], seed=n)
        for t in _tasks(ev)
        if (m := task_mask(ev, t)).any()
    }


def choose_default(ev: Evaluation, names: list[str] | None = None) -> str | None:
    """Best mean accuracy at N = 5 among strategies (registered ones by default) that never
    lose to a single sample on a task: at no N > 1 is a task's 95% interval wholly below zero.
    (A point estimate a hair below zero on a task the model almost never gets right is noise,
    and is printed as such.) None if every strategy loses somewhere."""
    pool = names or [n for n in STRATEGIES if n in ev.results]
    fair = [
        name
        for name in pool
        if all(c.hi >= 0 for n in ev.ns if n > 1 for c in task_intervals(ev, name, n).values())
    ]
    n = _n(ev)
    return max(fair, key=lambda name: ev.results[name][n].acc.mean()) if fair else None


def summary(store: AnswerStore, ev: Evaluation, chosen: str | None) -> dict[str, Any]:
    n = _n(ev)
    samples = [s for a in store.questions for s in a.samples]
    per_strategy: dict[str, Any] = {}
    for name, by_n in ev.results.items():
        entry: dict[str, Any] = {"registered": name in STRATEGIES, "by_n": {}}
        for k, out in by_n.items():
            row: dict[str, Any] = {"accuracy": float(out.acc.mean())}
            if k > 1:
                vs_single = paired_ci(out.acc, ev.single, seed=k)
                vs_greedy = paired_ci(out.acc, ev.greedy, seed=k + 100)
                hi, lo, share = high_low(out, k)
                row |= {
                    "vs_single": vars(vs_single),
                    "vs_greedy": vars(vs_greedy),
                    "by_task_vs_single": task_diffs(ev, name, k),
                    "by_task_vs_single_ci": {
                        t: vars(c) for t, c in task_intervals(ev, name, k).items()
                    },
                    "by_task": {t: float(out.acc[task_mask(ev, t)].mean()) for t in _tasks(ev)},
                    "winner_empty_rate": out.empty / max(1, len(out.correct)),
                    "winner_cutoff_rate": out.cut / max(1, len(out.correct)),
                    "parallel_s_per_answer": float(np.mean(out.parallel_s)),
                    "agreement": [
                        {"agree": a, "decisions": c, "accuracy": acc}
                        for a, c, acc in agreement_table(out, k)
                    ],
                    "accuracy_majority_agrees": hi,
                    "accuracy_no_majority": lo,
                    "share_majority_agrees": share,
                    "mean_similarity": float(np.mean(out.mean_sim)),
                }
            entry["by_n"][str(k)] = row
        per_strategy[name] = entry
    cost = store.logprob_cost
    return {
        "model": store.model,
        "questions": len(store.questions),
        "tasks": {t: int(task_mask(ev, t).sum()) for t in _tasks(ev)},
        "k_samples": store.k,
        "temperature": store.temperature,
        "top_p": store.top_p,
        "max_tokens": store.max_tokens,
        "workers": store.workers,
        "threads_per_worker": store.threads,
        "generation_wall_s": store.wall_s,
        "ns": list(ev.ns),
        "focus_n": n,
        "single_sample": float(ev.single.mean()),
        "greedy": float(ev.greedy.mean()),
        "oracle": {str(k): float(v.mean()) for k, v in ev.oracle.items()},
        "single_by_task": {t: float(ev.single[task_mask(ev, t)].mean()) for t in _tasks(ev)},
        "greedy_by_task": {t: float(ev.greedy[task_mask(ev, t)].mean()) for t in _tasks(ev)},
        "sample_empty_rate": sum(not s.text.strip() for s in samples) / max(1, len(samples)),
        "sample_cutoff_rate": sum(s.finish_reason == "length" for s in samples)
        / max(1, len(samples)),
        "sample_mean_tokens": float(np.mean([s.completion_tokens for s in samples])),
        "sample_mean_s": float(np.mean([s.gen_s for s in samples])),
        "logprob_cost": None
        if cost is None
        else {
            "pairs": len(cost.tokens),
            "tokens": sum(cost.tokens),
            "with_tps": cost.with_tps,
            "without_tps": cost.without_tps,
            "cost": cost.cost,
            "cost_paired_median": cost.paired,
        },
        # Measured inside the workers on every sampled answer: time computing log-probabilities
        # over generation time, both clocks in the same process at the same moments.
        "logprob_share_in_worker": sum(x.logprob_s for x in samples)
        / max(1e-9, sum(x.gen_s for x in samples)),
        "default_strategy": DEFAULT_STRATEGY,
        "chosen_strategy": chosen,
        "strategies": per_strategy,
    }


def _ci(row: dict[str, Any], key: str) -> str:
    c = row[key]
    return f"{c['diff'] * 100:+5.1f} [{c['lo'] * 100:+5.1f},{c['hi'] * 100:+5.1f}]"


def table(s: dict[str, Any]) -> str:
    n = str(s["focus_n"])
    ns = [str(k) for k in s["ns"]]
    lines = [
        f"hive bench quality, {s.get('split', 'all')} split: {s['model']}, "
        f"{s['questions']} questions "
        f"({', '.join(f'{t} {c}' for t, c in s['tasks'].items())}), {s['k_samples']} samples "
        f"each at temperature {s['temperature']}, {s['workers']} workers x "
        f"{s['threads_per_worker']} thread, generation {s['generation_wall_s']:.0f} s",
        f"single sample {s['single_sample']:.3f}   greedy {s['greedy']:.3f}   oracle (any of N "
        "right) " + "  ".join(f"N={k}: {v:.3f}" for k, v in s["oracle"].items()),
        f"samples: {s['sample_empty_rate']:.1%} empty, {s['sample_cutoff_rate']:.1%} cut off, "
        f"{s['sample_mean_tokens']:.1f} tokens and {s['sample_mean_s']:.2f} s each on average",
        "",
        f"{'strategy':<22}"
        + "".join(f"{'N=' + k:>7}" for k in ns)
        + f"   {'vs single @' + n + ' [95% CI]':<24}{'vs greedy @' + n + ' [95% CI]':<24}"
        + f"{'worst task':>11}{'k>N/2 acc':>10}{'else':>6}{'s/ans':>7}",
    ]
    for name, entry in s["strategies"].items():
        by_n = entry["by_n"]
        row = by_n[n]
        worst = min(row["by_task_vs_single"].values())
        # "!" when at some N a task's interval is wholly below zero: it loses to one sample
        # there, which keeps it from being chosen (see the line under the table).
        loses = bool(_losses(by_n))
        mark = "*" if name == s["default_strategy"] else " "
        lines.append(
            f"{mark}{name:<21}"
            + "".join(f"{by_n[k]['accuracy']:>7.3f}" for k in ns)
            + f"   {_ci(row, 'vs_single'):<24}{_ci(row, 'vs_greedy'):<24}"
            + f"{worst * 100:>+9.1f}{'!' if loses else ' '} {row['accuracy_majority_agrees']:>9.3f}"
            + f"{row['accuracy_no_majority']:>6.3f}{row['parallel_s_per_answer']:>7.2f}"
        )
    lines += ["", f"by task at N={n} (accuracy; single sample / greedy first):"]
    tasks = list(s["tasks"])
    lines.append(f"{'':<22}" + "".join(f"{t[:7]:>8}" for t in tasks))
    lines.append(
        f"{'single sample':<22}" + "".join(f"{s['single_by_task'][t]:>8.3f}" for t in tasks)
    )
    lines.append(f"{'greedy':<22}" + "".join(f"{s['greedy_by_task'][t]:>8.3f}" for t in tasks))
    for name, entry in s["strategies"].items():
        if entry["registered"]:
            bt = entry["by_n"][n]["by_task"]
            lines.append(f"{name:<22}" + "".join(f"{bt[t]:>8.3f}" for t in tasks))
    default = s["default_strategy"]
    d_row = s["strategies"][default]["by_n"][n]
    lines += [
        "",
        f"agreement shown to users, {default} at N={n}: k of {n} agree -> accuracy (decisions)",
        "  "
        + "   ".join(
            f"{a['agree']} of {n}: {a['accuracy']:.3f} ({a['decisions']})"
            for a in d_row["agreement"]
        ),
        "  shown as 'likely right' (a strict majority agrees): "
        f"{d_row['accuracy_majority_agrees']:.3f}"
        f" in {d_row['share_majority_agrees']:.0%} of votes; 'uncertain': "
        f"{d_row['accuracy_no_majority']:.3f}",
    ]
    if ee := s.get("early_exit"):
        lines.append(
            f"early exit, {default} at N={n}, answers up to {ee.get('max_tokens', '?')} tokens:"
            f" accuracy {ee['accuracy']:.3f} -> "
            f"{ee['accuracy_early_exit']:.3f} ({100 * ee['change']:+.1f} points, 95% interval "
            f"[{100 * ee['change_lo']:+.1f}, {100 * ee['change_hi']:+.1f}]), "
            f"{ee['tokens_saved']:.1%} of generated tokens and "
            f"{ee['steps_saved']:.1%} of decode steps (wall time) saved, "
            f"{ee['stopped_early']:.0%} of votes stopped early"
        )
    if fl := s.get("full_length"):
        g, one = fl["vs_greedy"], fl["vs_single"]
        lines.append(
            f"at the node's {fl['max_tokens']} tokens (answers finished): single sample "
            f"{fl['single_sample']:.3f}, greedy {fl['greedy']:.3f}, {default} at N={n} "
            f"{fl['vote']:.3f} ({100 * one['diff']:+.1f} [{100 * one['lo']:+.1f}, "
            f"{100 * one['hi']:+.1f}] vs single, {100 * g['diff']:+.1f} [{100 * g['lo']:+.1f}, "
            f"{100 * g['hi']:+.1f}] vs greedy), oracle {fl['oracle']:.3f}"
        )
    cost = s["logprob_cost"]
    if cost:
        lines.append(
            f"logprob collection: {cost['with_tps']:.1f} tok/s with, {cost['without_tps']:.1f} "
            f"tok/s without, over {cost['pairs']} greedy answers made both ways "
            f"({cost['tokens']} tokens a side): cost {cost['cost']:+.1%} (median pair: "
            f"{cost['cost_paired_median']:+.1%})"
        )
    lines.append(
        f"logprob time inside the workers: {s['logprob_share_in_worker']:.2%} of generation "
        "time, over every sampled answer"
    )
    chosen = s["chosen_strategy"]
    verdict = "the same" if chosen == default else f"NOT the default {default}"
    for name, entry in s["strategies"].items():
        if entry["registered"] and (where := _losses(entry["by_n"])):
            lines.append(f"! {name} loses to a single sample on {'; '.join(where)}")
    lines.append(
        f"chosen on the dev split (best at N={n} among strategies no task's 95% interval puts "
        f"below a single sample, at any N): {chosen or 'none'}, {verdict}; (* marks the default)"
    )
    if s["questions"] < 100:
        lines.append(f"{s['questions']} questions are too few to choose a default from: one "
                     "task's interval at one N decides it (docs/quality.md uses 100)")
    lines.append(
        "timings (s/ans, tok/s) come from a shared 2-core machine and are noisy; accuracies "
        "are not (fixed seeds)"
    )
    return "\n".join(lines)


def _losses(by_n: dict[str, Any]) -> list[str]:
    """Where a strategy's paired interval against one sample is wholly below zero."""
    return [
        f"{task} at N={k}: {c['diff'] * 100:+.1f} [{c['lo'] * 100:+.1f}, {c['hi'] * 100:+.1f}]"
        for k, row in by_n.items()
        for task, c in row.get("by_task_vs_single_ci", {}).items()
        if c["hi"] < 0
    ]


def chart(s: dict[str, Any], path: Path) -> bool:
    """Accuracy against N per strategy; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    ns = s["ns"]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, entry in s["strategies"].items():
        ys = [entry["by_n"][str(k)]["accuracy"] for k in ns]
        registered = entry["registered"]
        ax.plot(
            ns,
            ys,
            marker="o" if registered else ".",
            linewidth=2.2 if name == s["default_strategy"] else (1.4 if registered else 0.8),
            alpha=1.0 if registered else 0.45,
            label=name + (" (default)" if name == s["default_strategy"] else ""),
        )
    ax.plot(ns, [s["oracle"][str(k)] for k in ns], "k:", label="oracle (any of N right)")
    ax.axhline(s["greedy"], color="grey", linestyle="--", label="greedy")
    ax.set_xlabel("N (answers voted on)")
    ax.set_ylabel("accuracy")
    ax.set_xticks(ns)
    ax.set_title(f"hive bench quality: {s['model']}, {s['questions']} questions")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def full_length(
    store: AnswerStore, strategy: str, n: int, reps: int, seed: int
) -> dict[str, Any]:
    """The default at N = n against one sample and greedy decoding, every answer at the
    node's own length (``AnswerStore.at_full_length``): what a user of the node gets, where
    the benchmark's short limit can cut an answer before it says its number."""
    ev = evaluate(store, {strategy: STRATEGIES[strategy]}, ns=(1, n), reps=reps, seed=seed)
    vote = ev.results[strategy][n].acc
    return {
        "max_tokens": store.full_max_tokens,
        "single_sample": float(ev.single.mean()),
        "greedy": float(ev.greedy.mean()),
        "vote": float(vote.mean()),
        "oracle": float(ev.oracle[n].mean()),
        "vs_single": vars(paired_ci(vote, ev.single, seed=n)),
        "vs_greedy": vars(paired_ci(vote, ev.greedy, seed=n + 100)),
    }


def dev_line(s: dict[str, Any]) -> str:
    """One line on the split the defaults were chosen on."""
    n = str(s["focus_n"])
    row = s["strategies"][s["default_strategy"]]["by_n"][n]
    return (
        f"dev split ({s['questions']} questions, used to choose): single sample "
        f"{s['single_sample']:.3f}, greedy {s['greedy']:.3f}, {s['default_strategy']} at N={n} "
        f"{row['accuracy']:.3f}, oracle {s['oracle'][n]:.3f}"
    )
