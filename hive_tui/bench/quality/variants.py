"""The strategies the benchmark scores: every registered one, plus the variants it chooses from.

Variants are the registered strategies' building blocks with another similarity measure or
another confidence sharpness; the defaults in ``consensus`` are set from what wins here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hive_tui.consensus import STRATEGIES, Strategy
from hive_tui.consensus.grouping import analyse, empty_decision, least_bad, make_decision
from hive_tui.consensus.strategies import by_groups, mbr
from hive_tui.consensus.text import (
    PairMeasure,
    char_features,
    combined_features,
    key_features,
    word_features,
)
from hive_tui.wire import Candidate, Decision

MEASURES: dict[str, PairMeasure] = {
    "word": word_features,
    "char3": char_features,
    "combined": combined_features,
    "key": key_features,
}
SHARPNESS = (0.5, 2.0, 5.0, 20.0)


def similarity_with(measure: PairMeasure) -> Strategy:
    def run(candidates: Sequence[Candidate], question: str = "") -> Decision:
        if not candidates:
            return empty_decision("similarity")
        return by_groups("similarity", analyse(candidates, question, measure))

    return run


def mbr_with(sharpness: float, measure: PairMeasure | None = None) -> Strategy:
    def run(candidates: Sequence[Candidate], question: str = "") -> Decision:
        if not candidates:
            return empty_decision("confidence")
        a = analyse(candidates, question, measure)
        return mbr("confidence", a, candidates, sharpness)

    return run


def highest_logprob(candidates: Sequence[Candidate], question: str = "") -> Decision:
    """The valid answer the model was most sure of (mean token log-probability)."""
    if not candidates:
        return empty_decision("logprob")
    a = analyse(candidates, question)
    pool = [i for i in range(a.n) if a.valid[i]]

    def lp(i: int) -> float:
        v = candidates[i].mean_logprob
        return v if v is not None and math.isfinite(v) else -math.inf

    winner = min(pool, key=lambda i: (-lp(i), i)) if pool else least_bad(a)
    return make_decision("logprob", a, winner, [0.0] * a.n)


def all_strategies(explore: bool = True) -> dict[str, Strategy]:
    """Registered strategies first (their own names), then variants ("family:setting")."""
    out: dict[str, Strategy] = dict(STRATEGIES)
    if explore:
        out["logprob"] = highest_logprob
        for name, measure in MEASURES.items():
            out[f"similarity:{name}"] = similarity_with(measure)
        for s in SHARPNESS:
            out[f"confidence:s={s:g}"] = mbr_with(s)
    return out
