"""Speculative decoding's pure parts: where drafts come from and how a draft token is judged.

* ``lookup_draft``: prompt-lookup (n-gram) drafting. The longest recent n-gram of the text so
  far that occurred before predicts that what followed it then follows it now. Costs no model
  and wins exactly where answers copy their input (code edits, quotes).
* ``processed_probs``: the distribution the target actually samples from (top-k, top-p, then
  temperature: the order of the engines' llama.cpp sampler chain).
* ``Chooser``: the token a verified row gives, for both llama engines: greedy's argmax, or a
  draw from ``processed_probs`` with the draft judged by ``judge``; ``next_draft_length`` is
  their shared rule for how many tokens to propose next.
* ``judge``: exact speculative sampling for a point-mass draft. A deterministic draft token d
  is kept with probability p(d); otherwise the token is drawn from p with d removed and
  renormalised. Then P(out = d) = p(d) and, for x != d, P(out = x) = (1 - p(d)) * p(x) /
  (1 - p(d)) = p(x): the output is distributed exactly as p, whatever the draft was.
"""

from __future__ import annotations

import numpy as np

from hive_tui import wire

SPECULATIVE_MODES = ("off", "lookup", "draft")
DEFAULT_DRAFT_MAX = 8


def lookup_draft(
    tokens: list[int], n_max: int, ngram_max: int = 3, ngram_min: int = 2
) -> list[int]:
    """Up to ``n_max`` tokens that followed the last earlier occurrence of the text's tail.

    Tries the longest tail n-gram first (a longer match is a better predictor), and takes
    the most recent earlier occurrence (the copy being made is usually the nearest one).
    """
    size = len(tokens)
    if n_max <= 0:
        return []
    for n in range(min(ngram_max, size - 1), ngram_min - 1, -1):
        tail = tokens[size - n:]
        # Occurrences starting at i < size - n, the latest first.
        for i in range(size - n - 1, -1, -1):
            if tokens[i:i + n] == tail:
                follow = tokens[i + n:i + n + n_max]
                if follow:
                    return follow
    return []


def processed_probs(
    logits: np.ndarray, temperature: float, top_k: int, top_p: float, min_p: float = 0.0
) -> np.ndarray:
    """p over the whole vocabulary after top-k, top-p, min-p (both on the untempered softmax)
    and temperature, llama.cpp's order; zeros outside the kept tokens."""
    logits = np.asarray(logits, dtype=np.float64)
    if 0 < top_k < logits.size:
        keep = np.argpartition(-logits, top_k - 1)[:top_k]
    else:
        keep = np.arange(logits.size)
    keep = keep[np.argsort(-logits[keep], kind="stable")]
    kept = logits[keep]
    if top_p < 1.0:
        soft = np.exp(kept - kept[0])
        soft /= soft.sum()
        # The smallest prefix whose mass reaches top_p (at least one token).
        cut = int(np.searchsorted(np.cumsum(soft), top_p)) + 1
        keep, kept = keep[:cut], kept[:cut]
    if min_p > 0:
        # p / p_max >= min_p, i.e. a logit within log(min_p) of the best (at least one token).
        cut = max(1, int(np.count_nonzero(kept >= kept[0] + np.log(min_p))))
        keep, kept = keep[:cut], kept[:cut]
    scaled = (kept - kept[0]) / max(temperature, 1e-6)
    weights = np.exp(scaled)
    probs = np.zeros(logits.size)
    probs[keep] = weights / weights.sum()
    return probs


def sample(probs: np.ndarray, rng: np.random.Generator) -> int:
    # Inverse-CDF on one uniform: cheaper than rng.choice over a large vocabulary.
    cdf = np.cumsum(probs)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), probs.size - 1))


def judge(probs: np.ndarray, draft: int, rng: np.random.Generator) -> tuple[int, bool]:
    """(the token to emit, whether it is the draft): exact for a point-mass draft."""
    p_draft = float(probs[draft])
    if p_draft > 0 and rng.random() < p_draft:
        return draft, True
    if p_draft >= 1.0:  # rejection has no mass left; only reachable by rounding
        return draft, True
    rest = probs.copy()
    rest[draft] = 0.0
    return sample(rest, rng), False


def log_softmax_at(logits: np.ndarray, token: int) -> float:
    """log p(token) under the model's own (unprocessed) distribution."""
    top = float(logits.max())
    return float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))


class Chooser:
    """The token a logits row gives under one request's sampling, and whether it is the draft
    token offered for that row. Sampled requests draw with their own seeded generator."""

    def __init__(self, params: wire.SamplingParams) -> None:
        self.params = params
        seed = params.seed
        self.rng = None if params.temperature <= 0 else np.random.default_rng(
            None if seed is None else seed & 0xFFFFFFFF)

    def __call__(self, row: np.ndarray, draft: int | None) -> tuple[int, bool]:
        if self.rng is None:
            top = int(row.argmax())
            return top, top == draft
        p = self.params
        probs = processed_probs(row, p.temperature, p.top_k, p.top_p, p.min_p)
        if draft is None:
            return sample(probs, self.rng), False
        return judge(probs, draft, self.rng)


def next_draft_length(want: int, proposed: int, used: int, most: int) -> int:
    """How many tokens to propose next, after ``used`` of the ``proposed + 1`` rows fed were
    read: twice as many (up to ``most``) while drafts are kept whole, else what held."""
    return min(most, 2 * want) if used == proposed + 1 else max(1, used)
