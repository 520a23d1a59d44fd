"""Answer quality heuristics: a filter and a tie-breaker, never a preference for long answers.

Every penalty is a multiplicative factor in (0, 1]; nothing ever raises a score above what a
clean, finished, sanely sized answer gets (1.0), so padding an answer can only lose points.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from functools import lru_cache

from hive_tui.wire import Candidate

INVALID_FINISH = frozenset({"error", "cancelled"})

# Factors per finish reason: a truncated answer ("length") is still an answer, but it may be
# missing its conclusion; cancelled / error text is whatever happened to stream before the stop.
# "answered": stopped by early exit after its answering sentence (consensus.early_exit).
FINISH_FACTOR = {"stop": 1.0, "answered": 1.0, "length": 0.7, "cancelled": 0.3, "error": 0.1}
UNKNOWN_FINISH_FACTOR = 0.5

# Repetition at or above this share of the text is a degenerate loop ("Paris Paris Paris ...",
# the same line over and over). Natural prose repeats < 10% of its word 3-grams; the small model's
# loops repeat > 70%. 0.5 leaves a wide margin on both sides.
DEGENERATE_REPETITION = 0.5
# Below this much repetition no penalty at all: lists and code legitimately repeat a little.
REPETITION_GRACE = 0.15

FENCE_UNBALANCED_FACTOR = 0.6
FENCE_MALFORMED_FACTOR = 0.85

# Relative length sanity: mild penalties only, measured against the median of the valid peers
# because the question itself is not available here.
TOO_SHORT_RATIO = 0.25
TOO_LONG_RATIO = 4.0
TOO_LONG_MIN_WORDS = 200  # a 4x longer 3-line answer is not "absurdly long"
ABSURD_WORDS = 1500  # absolute cap, whatever the peers did
LENGTH_FACTOR = 0.9

_FENCE = "```"
_FENCE_LINE = re.compile(r"^\s*```[\w+#.-]*\s*$")


def _dup_share(items: Sequence[object]) -> float:
    """Share of items that repeat an earlier one: 0.0 all distinct, -> 1.0 one item repeated."""
    if not items:
        return 0.0
    return 1.0 - len(set(items)) / len(items)


@lru_cache(maxsize=256)
def repetition(text: str) -> float:
    """0..1: how much of the text repeats itself, the worst of three views.

    * word 3-grams (needs >= 8 of them): catches phrase loops;
    * lines of >= 4 characters (needs >= 4 such lines): catches a line emitted again and again;
      short lines ("}", "---") are skipped because code and markdown repeat them legitimately;
    * character 12-grams (needs >= 40 characters): catches loops without spaces ("hahaha...").
      12 rather than shorter: ordinary prose repeats ~15% of its 6-grams ("the ", "tion ") but
      only ~4% of its 12-grams, while a loop repeats nearly all of either.

    Cached: validity, the quality score and every strategy ask about the same texts.
    """
    toks = text.split()
    grams3 = [tuple(toks[i : i + 3]) for i in range(len(toks) - 2)]
    views = [_dup_share(grams3) if len(grams3) >= 8 else 0.0]
    lines = [ln.strip() for ln in text.splitlines() if len(ln.strip()) >= 4]
    views.append(_dup_share(lines) if len(lines) >= 4 else 0.0)
    compact = " ".join(toks)
    if len(compact) >= 40:
        views.append(_dup_share([compact[i : i + 12] for i in range(len(compact) - 11)]))
    return max(views)


def is_degenerate(text: str) -> bool:
    return repetition(text) >= DEGENERATE_REPETITION


def is_valid(candidate: Candidate) -> bool:
    """Usable as an answer: non-empty, finished or truncated (not error/cancelled), no loop."""
    return (
        bool(candidate.text.strip())
        and candidate.finish_reason not in INVALID_FINISH
        and not is_degenerate(candidate.text)
    )


def fence_factor(text: str) -> float:
    """Penalty for code fences: odd ``` count (unclosed block), or ``` not on a line of its own."""
    count = text.count(_FENCE)
    if count == 0:
        return 1.0
    if count % 2:
        return FENCE_UNBALANCED_FACTOR
    fence_lines = [ln for ln in text.splitlines() if _FENCE in ln]
    # Well formed: every fence sits alone on its line (an opening one may carry a language tag),
    # and each line holds one fence (so the counts above match the lines).
    if sum(ln.count(_FENCE) for ln in fence_lines) != len(fence_lines):
        return FENCE_MALFORMED_FACTOR
    if not all(_FENCE_LINE.match(ln) for ln in fence_lines):
        return FENCE_MALFORMED_FACTOR
    closers = fence_lines[1::2]
    if any(ln.strip() != _FENCE for ln in closers):
        return FENCE_MALFORMED_FACTOR
    return 1.0


def repetition_factor(text: str) -> float:
    """1.0 up to the grace level, then linearly down to 0.1 at full repetition."""
    rep = repetition(text)
    if rep <= REPETITION_GRACE:
        return 1.0
    return max(0.1, 1.0 - 0.9 * (rep - REPETITION_GRACE) / (1.0 - REPETITION_GRACE))


def length_factor(word_count: int, median_words: float | None) -> float:
    if word_count > ABSURD_WORDS:
        return LENGTH_FACTOR
    if not median_words:
        return 1.0
    if word_count < TOO_SHORT_RATIO * median_words:
        return LENGTH_FACTOR
    if word_count > TOO_LONG_RATIO * median_words and word_count > TOO_LONG_MIN_WORDS:
        return LENGTH_FACTOR
    return 1.0


def quality_score(candidate: Candidate, median_words: float | None = None) -> float:
    """0..1; 0.0 for an empty answer. ``median_words``: peers' median length, if known."""
    text = candidate.text
    if not text.strip():
        return 0.0
    score = FINISH_FACTOR.get(candidate.finish_reason, UNKNOWN_FINISH_FACTOR)
    score *= fence_factor(text)
    score *= repetition_factor(text)
    score *= length_factor(len(text.split()), median_words)
    return min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0


def quality_scores(candidates: Sequence[Candidate]) -> list[float]:
    """Quality of each candidate, judging length against the median of the valid ones."""
    lengths = [len(c.text.split()) for c in candidates if is_valid(c)]
    median = statistics.median(lengths) if lengths else None
    return [quality_score(c, median) for c in candidates]
