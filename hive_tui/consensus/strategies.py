"""The consensus strategies: pure functions ``(candidates) -> Decision``.

Shared rules (see ``grouping``):

* zero candidates -> winner -1, no scores, no groups, agreement 0.0;
* an invalid candidate (empty, error/cancelled, degenerate loop) never wins while a valid one
  exists, scores 0.0 and sits alone in its group;
* nothing valid -> the least bad candidate (best quality, then index) wins with agreement 0.0,
  since there is no answer anyone agreed on;
* groups come from the similarity clustering in every strategy but ``majority`` (exact buckets),
  so agreement = size of the winner's group / n means the same thing everywhere;
* every tie is finally broken by the lower candidate index, so the result is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hive_tui.consensus.answer_part import answer_confidence, offers_alternatives
from hive_tui.consensus.grouping import (
    Analysis,
    analyse,
    best_in,
    clamp_scores,
    empty_decision,
    least_bad,
    make_decision,
    mean_sim,
)
from hive_tui.consensus.text import normalize
from hive_tui.wire import Candidate, Decision

# Added to latencies before taking ratios, so a 0.0 s latency (a test, a cached answer) does not
# divide by zero and a 1 ms difference between near-instant answers does not look like 2x.
_LATENCY_EPS_S = 0.01

# How sharply ``confidence`` trusts the model's own log-probabilities (see ``mbr``): chosen on
# the dev split of ``hive bench quality`` (docs/quality.md).
CONFIDENCE_SHARPNESS = 3.0


def _valid_scores(a: Analysis, scores: Sequence[float]) -> list[float]:
    return clamp_scores([s if a.valid[i] else 0.0 for i, s in enumerate(scores)])


def _intra(a: Analysis, group: Sequence[int]) -> float:
    """Mean pairwise similarity inside a group; 1.0 for a singleton (trivially consistent)."""
    if len(group) < 2:
        return 1.0
    return sum(mean_sim(a.sim, i, group) for i in group) / len(group)


def by_groups(name: str, a: Analysis) -> Decision:
    """Biggest group wins (ties: tighter group, then more central to everyone, then better
    quality, then lower index); its most central member is the answer."""
    eligible = [g for g in a.groups if any(a.valid[i] for i in g)]
    if not eligible:
        winner = least_bad(a)
    else:
        group = min(
            eligible,
            key=lambda g: (
                -len(g),
                -_intra(a, g),
                -sum(a.centrality[i] for i in g) / len(g),
                -max(a.quality[i] for i in g if a.valid[i]),
                g[0],
            ),
        )
        winner = best_in(a, group)
    return make_decision(name, a, winner, _valid_scores(a, a.centrality))


def similarity(candidates: Sequence[Candidate], question: str = "") -> Decision:
    """Largest group of mutually similar answers; score = mean similarity to all others."""
    if not candidates:
        return empty_decision("similarity")
    return by_groups("similarity", analyse(candidates, question))


def quality(candidates: Sequence[Candidate], question: str = "") -> Decision:
    """Best quality heuristics (``quality.quality_score``) win; ties go to the most central."""
    if not candidates:
        return empty_decision("quality")
    a = analyse(candidates, question)
    pool = [i for i in range(a.n) if a.valid[i]]
    # Quality first; among equals the answer the others agree with most.
    best = min(pool, key=lambda i: (-a.quality[i], -a.centrality[i], i)) if pool else None
    winner = least_bad(a) if best is None else best
    return make_decision("quality", a, winner, _valid_scores(a, a.quality))


def _latency(c: Candidate) -> float:
    """Sanitised latency: NaN/inf sort last, negative clock skew counts as instant."""
    t = c.latency_s
    return max(0.0, t) if math.isfinite(t) else math.inf


def fastest(candidates: Sequence[Candidate], question: str = "") -> Decision:
    """First valid answer by latency; score = fastest latency / own latency (1.0 for the winner)."""
    if not candidates:
        return empty_decision("fastest")
    a = analyse(candidates, question)
    pool = sorted((i for i in range(a.n) if a.valid[i]), key=lambda i: (_latency(candidates[i]), i))
    scores = [0.0] * a.n
    if pool:
        winner = pool[0]
        best = _latency(candidates[winner]) + _LATENCY_EPS_S
        for i in pool:
            scores[i] = best / (_latency(candidates[i]) + _LATENCY_EPS_S)
        scores[winner] = 1.0
    else:
        winner = least_bad(a)
    return make_decision("fastest", a, winner, _valid_scores(a, scores))


def majority(candidates: Sequence[Candidate], question: str = "") -> Decision:
    """Exact vote on the normalised text (case, whitespace, punctuation ignored).

    Biggest bucket wins; tied buckets are separated by how similar their members are to the
    candidates outside the bucket (the answer closest to the runners-up is the safer pick), then
    by quality, then by index. Score = own bucket size / n.
    """
    if not candidates:
        return empty_decision("majority")
    a = analyse(candidates, question)
    buckets: dict[str, list[int]] = {}
    groups: list[list[int]] = []
    for i, c in enumerate(candidates):
        if a.valid[i]:
            key = " ".join(a.parts[i].words) or normalize(c.text)
            if key not in buckets:
                buckets[key] = []
                groups.append(buckets[key])
            buckets[key].append(i)
        else:
            groups.append([i])  # invalid answers do not vote, even when identical

    def outside(g: list[int]) -> float:
        rest = [j for j in range(a.n) if j not in g]
        if not rest:
            return 1.0
        return sum(a.sim[i][j] for i in g for j in rest) / (len(g) * len(rest))

    n = a.n
    scores = [0.0] * n
    for g in groups:
        for i in g:
            scores[i] = len(g) / n
    eligible = [g for g in groups if a.valid[g[0]]]
    if not eligible:
        return make_decision("majority", a, least_bad(a), _valid_scores(a, scores), groups)
    group = min(eligible, key=lambda g: (-len(g), -outside(g), -max(a.quality[i] for i in g), g[0]))
    winner = min(group, key=lambda i: (-a.quality[i], i))
    return make_decision("majority", a, winner, _valid_scores(a, scores), groups)


def confidence(candidates: Sequence[Candidate], question: str = "") -> Decision:
    """Minimum-Bayes-risk style: score_i = sum_j w_j * sim(i, j) over the answer parts,
    w = softmax(s * confidence in the answer) with s = ``CONFIDENCE_SHARPNESS``; see ``mbr``.

    Where the question names the answers to pick from ("Damascus or Kabul?", "78 or 41?"),
    s = 0, a plain count: every answer copies its pick from the question, so the pick's token
    log-probabilities say how easily the model copied it (in the question's own order most
    easily: "The capital of Afghanistan, Damascus, ..."), not how sure it was. On the dev split
    (docs/quality.md, change 12): +0.5, +0.4, +1.8 points at N = 3, 5, 8."""
    if not candidates:
        return empty_decision("confidence")
    sharpness = 0.0 if question and offers_alternatives(question) else CONFIDENCE_SHARPNESS
    return mbr("confidence", analyse(candidates, question), candidates, sharpness)


# Subtracted from the confidence of an answer that ran out of tokens ("length"): it may not
# have reached its answer, or may have been about to take it back. Chosen on the dev split
# (docs/quality.md): +0.7 points at N = 5, +1.1 at N = 3, +1.4 at N = 8.
CUT_OFF_PENALTY = 1.0
# An answer longer than this many tokens counts as cut off too: the cut-off penalty was chosen
# on answers the benchmark stops at 48 tokens, where the ones still talking there are cut; at a
# node's 512 they go on, and an answer that rambles that long is as unreliable finished. On the
# dev split at full length: +1.3, +1.4, +1.4 points at N = 3, 5, 8 (docs/quality.md).
LONG_ANSWER_TOKENS = 48
# Subtracted from the confidence of an answer whose part only copies one of the question's
# numbers (``AnswerPart.echo``: "7 minus 6 ... which gives 7"): the copy was read with a copy's
# certainty. Chosen on the dev split (docs/quality.md): +1.3 points at N = 5, +2.0 at N = 8.
ECHO_PENALTY = 2.0


def _confidences(a: Analysis, candidates: Sequence[Candidate]) -> list[float | None]:
    """Each candidate's confidence on one scale: in its answer part when the workers sent
    per-token log-probabilities (an answer with nothing beyond the question has none), else
    the mean token log-probability of the whole text; less ``CUT_OFF_PENALTY`` for an answer
    cut off at its token limit or longer than ``LONG_ANSWER_TOKENS``, less ``ECHO_PENALTY`` for
    one that copies a question's number."""
    if any(c.token_logprobs for c in candidates):
        raw = [
            answer_confidence(p, c.token_logprobs, c.token_ends)
            for p, c in zip(a.parts, candidates, strict=True)
        ]
    else:
        raw = [c.mean_logprob for c in candidates]
    return [
        None
        if lp is None or not math.isfinite(lp)
        else lp - CUT_OFF_PENALTY * _ran_long(c) - ECHO_PENALTY * p.echo
        for lp, c, p in zip(raw, candidates, a.parts, strict=True)
    ]


def _ran_long(c: Candidate) -> bool:
    """Cut off at its token limit, or longer than ``LONG_ANSWER_TOKENS``."""
    return c.finish_reason == "length" or c.completion_tokens > LONG_ANSWER_TOKENS


def confidence_weights(
    a: Analysis, candidates: Sequence[Candidate], sharpness: float
) -> tuple[dict[int, float], dict[int, float]] | None:
    """Each valid candidate's confidence (``_confidences``; the mean of the others' where it has
    none) and its weight, softmax(sharpness * confidence); None when no valid candidate has a
    confidence."""
    pool = [i for i in range(a.n) if a.valid[i]]
    confidences = _confidences(a, candidates)
    known = {i: lp for i in pool if (lp := confidences[i]) is not None}
    if not known:
        return None
    neutral = sum(known.values()) / len(known)
    conf = {i: known.get(i, neutral) for i in pool}
    logits = {i: sharpness * conf[i] for i in pool}
    top = max(logits.values())
    exp = {i: math.exp(lp - top) for i, lp in logits.items()}  # shifted: no overflow
    total = sum(exp.values())
    return conf, {i: e / total for i, e in exp.items()}


def mbr(name: str, a: Analysis, candidates: Sequence[Candidate], sharpness: float) -> Decision:
    """Similarity weighted by confidence: the answer that agrees most with the likely answers.

    Weights cover the valid candidates only: w = softmax(sharpness * confidence), where the
    confidence is the model's in the answer part (``answer_confidence``: the lowest token
    log-probability of the words that answer), else its mean token log-probability. 0 is plain
    similarity, a large sharpness approaches "the surest answer wins". A valid candidate without
    a (finite) confidence gets the mean of the others', a neutral weight; when no valid
    candidate has one, this is ``by_groups`` (plain similarity).
    """
    weighted = confidence_weights(a, candidates, sharpness)
    if weighted is None:
        return by_groups(name, a)
    conf, weights = weighted
    pool = list(weights)
    scores = [0.0] * a.n
    for i in pool:
        scores[i] = sum(w * a.sim[i][j] for j, w in weights.items())
    # Ties (members of one answer score alike): one whose text is whole (not cut short by
    # early exit, so nothing it went on to say is lost), then the surer, then the most central.
    def rank(i: int) -> tuple[float, bool, float, float, float, int]:
        cut = candidates[i].finish_reason == "answered"
        return (-round(scores[i], 9), cut, -conf[i], -a.centrality[i], -a.quality[i], i)

    winner = min(pool, key=rank)
    return make_decision(name, a, winner, _valid_scores(a, scores))
