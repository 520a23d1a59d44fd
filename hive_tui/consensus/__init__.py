"""Consensus: several workers answered the same prompt; pick the answer to show.

Pure functions only (no I/O, no randomness): the same candidates always give the same
``Decision``. The swarm calls ``decide(strategy, candidates, question)``; strategies compare
what the answers say beyond the question (``answer_part``). While a vote runs, a ``Tally``
says when it is settled (``early_exit``): the swarm then stops the workers still generating.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hive_tui.consensus.early_exit import FIRST_VALID, Tally, settled
from hive_tui.consensus.quality import is_valid
from hive_tui.consensus.strategies import confidence, fastest, majority, quality, similarity
from hive_tui.consensus.structured import NoValidJson, decide_json
from hive_tui.errors import HiveError
from hive_tui.wire import Candidate, ChatMessage, Decision

__all__ = [
    "agreement_text",
    "DEFAULT_STRATEGY",
    "EARLY_EXIT",
    "STRATEGIES",
    "UnknownStrategy",
    "decide",
    "decide_json",
    "NoValidJson",
    "is_valid",
    "question_of",
    "verdict",
    "settled",
    "Tally",
    "strategy_names",
]



class Strategy(Protocol):
    """A pure function of the candidates (and of the question they answer, whose wording the
    strategies discount: see ``answer_part``)."""

    def __call__(self, candidates: Sequence[Candidate], question: str = "") -> Decision: ...


STRATEGIES: dict[str, Strategy] = {
    "similarity": similarity,
    "quality": quality,
    "fastest": fastest,
    "majority": majority,
    "confidence": confidence,
}
DEFAULT_STRATEGY = "confidence"

# The swarm stops generating at the first valid answer for these and cancels the other workers:
# waiting for the others cannot change the winner (the other strategies stop once a strict
# majority agrees: ``early_exit``).
EARLY_EXIT = FIRST_VALID


class UnknownStrategy(HiveError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown strategy {name!r}; valid: {', '.join(strategy_names())}")


def strategy_names() -> list[str]:
    """Registered names, default first (for CLI choices and the TUI picker)."""
    return [DEFAULT_STRATEGY, *sorted(n for n in STRATEGIES if n != DEFAULT_STRATEGY)]


def decide(strategy: str, candidates: Sequence[Candidate], question: str = "") -> Decision:
    try:
        fn = STRATEGIES[strategy]
    except KeyError:
        raise UnknownStrategy(strategy) from None
    return fn(candidates, question)


def question_of(messages: Sequence[ChatMessage]) -> str:
    """The text the candidates answer: the last user message."""
    return next((m.content for m in reversed(messages) if m.role == "user"), "")


def verdict(decision: Decision, voters: int) -> str:
    """Plain words for how far to trust the winner, backed by the calibration table in
    docs/quality.md (test split, N = 5): when a strict majority of the workers gave the
    winner's answer it was right 79% of the time (91% when all agreed), otherwise 42%."""
    if decision.agree_count == 0:
        return "no answer"
    if voters > 1 and decision.agree_count > voters / 2:
        return "likely right"
    return "uncertain"


def agreement_text(decision: Decision, voters: int) -> str:
    """What a user reads about a vote: "3 of 5 agree, likely right (mean similarity 0.72)";
    in plain words when there is no agreement to count: "first finished" (``fastest`` does not
    compare answers), "no two answers agree" (every answer stands alone), "stands alone,
    uncertain; 2 of 5 agree on another answer" (which the model was less sure of), "one
    worker, no vote"."""
    if decision.strategy == "fastest" and decision.agree_count:
        return f"first finished of {voters}"
    similarity = f"(mean similarity {decision.mean_similarity:.2f})"
    if voters == 1:
        return "one worker, no vote" if decision.agree_count else "one worker, no usable answer"
    if decision.agree_count == 1:
        others = max((len(g) for g in decision.groups if decision.winner not in g), default=0)
        if others > 1:
            # The verdict early: the app shows this in a border, cut at the pane's width.
            return (f"stands alone, uncertain; {others} of {voters} agree on another answer "
                    f"{similarity}")
        return f"no two answers agree, uncertain {similarity}"
    return f"{decision.agree_count} of {voters} agree, {verdict(decision, voters)} {similarity}"
