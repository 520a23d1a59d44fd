"""Score strategies on stored answers by resampling, with paired-bootstrap 95% intervals.

For a question with K stored samples and a swarm size N, a draw is N of the K samples in a
random order (the order matters for index tie-breaks, as worker order does in a real vote).
Every strategy sees the same draws, so comparisons between them are paired. A question's
accuracy at N is the mean over its draws; N = 1 is computed exactly (the share of its samples
that are right), and so is the oracle rate (any of N right, hypergeometric).

Intervals resample questions with replacement (``BOOTSTRAP`` times) and take the 2.5 and 97.5
percentiles of the mean paired difference.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hive_tui.bench.quality.scoring import is_correct
from hive_tui.bench.quality.store import AnswerStore
from hive_tui.consensus import Strategy

BOOTSTRAP = 2000


@dataclass
class Outcomes:
    """One strategy at one N: per-question accuracy and every decision's facts."""

    acc: np.ndarray  # (questions,) mean correctness over the draws
    agree: list[int] = field(default_factory=list)  # per decision: k of N agree
    mean_sim: list[float] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    empty: int = 0  # winners that were empty
    cut: int = 0  # winners that were cut off (finish_reason "length")
    parallel_s: list[float] = field(default_factory=list)  # slowest of the N: a parallel vote


@dataclass
class Evaluation:
    qids: list[str]
    tasks: list[str]
    greedy: np.ndarray  # (questions,) 1.0 when the greedy answer is right
    single: np.ndarray  # (questions,) share of samples right (= every strategy at N = 1)
    oracle: dict[int, np.ndarray]
    results: dict[str, dict[int, Outcomes]]  # strategy -> N -> outcomes
    ns: tuple[int, ...]


def oracle_rate(k: int, right: int, n: int) -> float:
    """P(at least one right) when drawing n of k samples of which ``right`` are right."""
    if n > k:
        n = k
    return 1.0 - math.comb(k - right, n) / math.comb(k, n)


def draws_for(k: int, n: int, reps: int, rng: random.Random) -> list[list[int]]:
    return [rng.sample(range(k), n) for _ in range(reps)]


def evaluate(
    store: AnswerStore,
    strategies: dict[str, Strategy],
    ns: Sequence[int] = (1, 3, 5, 8),
    reps: int = 12,
    seed: int = 0,
) -> Evaluation:
    qs = store.questions
    k = min(len(a.samples) for a in qs)
    ns = tuple(n for n in ns if n <= k)
    results = {
        name: {n: Outcomes(acc=np.zeros(len(qs))) for n in ns if n > 1} for name in strategies
    }
    greedy = np.zeros(len(qs))
    single = np.zeros(len(qs))
    oracle = {n: np.zeros(len(qs)) for n in ns}
    for qi, ans in enumerate(qs):
        q = ans.question()
        samples = ans.samples[:k]
        right = [is_correct(q, s.text) for s in samples]
        greedy[qi] = float(is_correct(q, ans.greedy.text))
        single[qi] = sum(right) / k
        for n in ns:
            oracle[n][qi] = oracle_rate(k, sum(right), n)
        rng = random.Random(f"{seed}:{ans.qid}")
        for n in ns:
            if n == 1:
                continue
            draws = draws_for(k, n, reps if n < k else max(2, reps // 3), rng)
            for draw in draws:
                cands = [samples[i].candidate(slot) for slot, i in enumerate(draw)]
                slowest = max(samples[i].gen_s for i in draw)
                for name, fn in strategies.items():
                    d = fn(cands, q.prompt)
                    out = results[name][n]
                    picked = samples[draw[d.winner]]
                    ok = right[draw[d.winner]]
                    out.acc[qi] += ok / len(draws)
                    out.agree.append(d.agree_count)
                    out.mean_sim.append(d.mean_similarity)
                    out.correct.append(ok)
                    out.empty += not picked.text.strip()
                    out.cut += picked.finish_reason == "length"
                    out.parallel_s.append(slowest)
    for name in strategies:
        results[name] = {1: Outcomes(acc=single.copy()), **results[name]}
    return Evaluation(
        [a.qid for a in qs], [a.task for a in qs], greedy, single, oracle, results, ns
    )


@dataclass(frozen=True)
class Interval:
    diff: float
    lo: float
    hi: float

    @property
    def above_zero(self) -> bool:
        return self.lo > 0.0


def paired_ci(a: np.ndarray, b: np.ndarray, seed: int = 0, rounds: int = BOOTSTRAP) -> Interval:
    """Mean of a - b over questions, with a percentile bootstrap 95% interval."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(d) == 0:
        return Interval(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(rounds, len(d)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return Interval(float(d.mean()), float(lo), float(hi))


def task_mask(ev: Evaluation, task: str) -> np.ndarray:
    return np.array([t == task for t in ev.tasks])


def agreement_table(out: Outcomes, n: int) -> list[tuple[int, int, float]]:
    """(k, decisions, accuracy) for every k of n that occurred."""
    rows = []
    agree = np.array(out.agree)
    correct = np.array(out.correct, dtype=float)
    for k in range(n + 1):
        mask = agree == k
        if mask.any():
            rows.append((k, int(mask.sum()), float(correct[mask].mean())))
    return rows


def high_low(out: Outcomes, n: int) -> tuple[float, float, float]:
    """(accuracy when a majority agrees (k > n/2), accuracy otherwise, share that is high)."""
    agree = np.array(out.agree)
    correct = np.array(out.correct, dtype=float)
    high = agree > n / 2
    acc_high = float(correct[high].mean()) if high.any() else float("nan")
    acc_low = float(correct[~high].mean()) if (~high).any() else float("nan")
    return acc_high, acc_low, float(high.mean()) if len(high) else 0.0
