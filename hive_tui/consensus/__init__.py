"""Consensus: several workers answered the same prompt; pick the answer to show.

Pure functions only (no I/O, no randomness): the same candidates always give the same
``Decision``. The swarm calls ``decide(strategy, candidates)``; for strategies in
``EARLY_EXIT`` it stops at the first candidate for which ``is_valid`` holds and cancels the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hive_tui.consensus.quality import is_valid
from hive_tui.consensus.strategies import confidence, fastest, majority, quality, similarity
from hive_tui.errors import HiveError
from hive_tui.wire import Candidate, Decision

__all__ = [
    "agreement_text",
    "DEFAULT_STRATEGY",
    "EARLY_EXIT",
    "STRATEGIES",
    "UnknownStrategy",
    "decide",
    "is_valid",
    "strategy_names",
]

Strategy = Callable[[Sequence[Candidate]], Decision]

STRATEGIES: dict[str, Strategy] = {
    "similarity": similarity,
    "quality": quality,
    "fastest": fastest,
    "majority": majority,
    "confidence": confidence,
}
DEFAULT_STRATEGY = "confidence"

# The swarm stops generating at the first valid answer for these and cancels the other workers:
# waiting for the others cannot change the winner.
EARLY_EXIT = frozenset({"fastest"})


class UnknownStrategy(HiveError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown strategy {name!r}; valid: {', '.join(strategy_names())}")


def strategy_names() -> list[str]:
    """Registered names, default first (for CLI choices and the TUI picker)."""
    return [DEFAULT_STRATEGY, *sorted(n for n in STRATEGIES if n != DEFAULT_STRATEGY)]


def decide(strategy: str, candidates: Sequence[Candidate]) -> Decision:
    try:
        fn = STRATEGIES[strategy]
    except KeyError:
        raise UnknownStrategy(strategy) from None
    return fn(candidates)


def agreement_text(decision: Decision, voters: int) -> str:
    """What a user reads about a vote: "3 of 5 agree (mean similarity 0.72)"."""
    return (
        f"{decision.agree_count} of {voters} agree (mean similarity {decision.mean_similarity:.2f})"
    )
