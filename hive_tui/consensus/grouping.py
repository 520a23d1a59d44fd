"""What every strategy shares: the candidates' similarity matrix, clustering, centrality.

Invalid candidates (see ``quality.is_valid``) do not vote: their similarity to every other
candidate is 0, so they end up alone in their group and lower everyone's mean similarity, which
is the honest reading ("of 4 workers, only 2 said this").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hive_tui.consensus.answer_part import AnswerPart, answer_part, part_similarity
from hive_tui.consensus.quality import is_valid, quality_scores
from hive_tui.consensus.text import GROUP_THRESHOLD, PairMeasure, features
from hive_tui.wire import Candidate, Decision


@dataclass(frozen=True, slots=True)
class Analysis:
    """Per-request facts computed once and read by the strategies."""

    valid: list[bool]
    parts: list[AnswerPart]  # what each answer says beyond the question (``answer_part``)
    quality: list[float]
    sim: list[list[float]]  # n x n, 1.0 on the diagonal, 0.0 to and from invalid candidates
    centrality: list[float]  # mean similarity to all other candidates; 1.0 when n == 1
    groups: list[list[int]]  # partition of range(n), built by ``cluster``

    @property
    def n(self) -> int:
        return len(self.valid)

    def group_of(self, i: int) -> list[int]:
        return next(g for g in self.groups if i in g)


def analyse(
    candidates: Sequence[Candidate], question: str = "", measure: PairMeasure | None = None
) -> Analysis:
    """Answers are compared on what they say beyond ``question`` (``part_similarity``);
    ``measure``, a whole-text measure, is what the benchmark compares that with."""
    valid = [is_valid(c) for c in candidates]
    parts = [answer_part(c.text, question) for c in candidates]
    feats = [features(c.text) for c in candidates] if measure is not None else []
    n = len(candidates)
    sim = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if not (valid[i] and valid[j]):
                s = 0.0
            elif measure is not None:
                s = measure(feats[i], feats[j])
            else:
                s = part_similarity(parts[i], parts[j])
            sim[i][j] = sim[j][i] = min(1.0, max(0.0, s))
    centrality = [mean_sim(sim, i, range(n)) if n > 1 else 1.0 for i in range(n)]
    groups = cluster(sim, valid)
    return Analysis(valid, parts, quality_scores(candidates), sim, centrality, groups)


def mean_sim(sim: list[list[float]], i: int, members: Sequence[int] | range) -> float:
    """Mean similarity of i to the members other than itself; 1.0 when there are none."""
    others = [j for j in members if j != i]
    if not others:
        return 1.0
    return sum(sim[i][j] for j in others) / len(others)


def cluster(
    sim: list[list[float]], valid: list[bool], threshold: float = GROUP_THRESHOLD
) -> list[list[int]]:
    """Greedy centre-based clustering: returns a partition of range(n), biggest groups first.

    Repeatedly take the remaining valid candidate with the most neighbours at or above the
    threshold (ties: higher total similarity, then lower index) and group it with those
    neighbours. Unlike single-link this cannot chain A~B~C into one group when A and C disagree,
    because every member must be close to the same centre. Invalid candidates become singletons.
    """
    remaining = [i for i in range(len(valid)) if valid[i]]
    groups: list[list[int]] = []
    while remaining:

        def rank(i: int, pool: list[int] = remaining) -> tuple[int, float, int]:
            near = [j for j in pool if j != i and sim[i][j] >= threshold]
            return (-len(near), -sum(sim[i][j] for j in pool if j != i), i)

        centre = min(remaining, key=rank)
        group = [j for j in remaining if j == centre or sim[centre][j] >= threshold]
        groups.append(group)
        remaining = [j for j in remaining if j not in group]
    groups.extend([i] for i in range(len(valid)) if not valid[i])
    return groups


def empty_decision(strategy: str) -> Decision:
    return Decision(strategy=strategy, winner=-1, scores=[], groups=[], agreement=0.0)


def make_decision(
    name: str,
    a: Analysis,
    winner: int,
    scores: Sequence[float],
    groups: list[list[int]] | None = None,
) -> Decision:
    """The Decision for ``winner``, with what users are shown about agreement: k of n agree
    (k = size of the winner's group in ``groups``, default the similarity clusters) and the
    winner's mean similarity to the others. Nothing valid -> 0 of n, 0.0, agreement 0.0."""
    groups = a.groups if groups is None else groups
    if winner < 0 or not a.valid[winner]:
        return Decision(name, winner, clamp_scores(scores), groups, 0.0, 0, 0.0)
    k = len(next(g for g in groups if winner in g))
    return Decision(name, winner, clamp_scores(scores), groups, k / a.n, k, a.centrality[winner])


def least_bad(a: Analysis) -> int:
    """Winner when nothing is valid: best quality (an empty answer scores 0), then index."""
    return min(range(a.n), key=lambda i: (-a.quality[i], i))


def best_in(a: Analysis, members: Sequence[int]) -> int:
    """Most central valid member of a group: mean similarity to the group, then to everyone,
    then quality, then index. Falls back to ``least_bad`` when the group has no valid member."""
    pool = [i for i in members if a.valid[i]]
    if not pool:
        return least_bad(a)
    return min(
        pool,
        key=lambda i: (-mean_sim(a.sim, i, members), -a.centrality[i], -a.quality[i], i),
    )


def clamp_scores(scores: Sequence[float]) -> list[float]:
    """Keep scores inside 0..1 even after float rounding (a sum of weights can be 1.0000000002)."""
    return [min(1.0, max(0.0, s)) for s in scores]
