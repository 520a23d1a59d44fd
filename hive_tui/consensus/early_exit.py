"""Early exit: a running vote stops its workers once the answers still to come cannot change it.

Workers stream their answers; small models often state the answer in their first sentence and
then go on explaining. ``Tally`` follows a running vote: the answers finished, and the answers
already given by workers still generating (their answering sentence is complete, see
``answer_part.answered``). Once a strict majority of all N workers gave the same answer
(``settled``), the vote can stop: the remaining workers could not outvote it. A worker
stopped after it answered keeps its answer, cut after the answering sentence, with the finish
reason ``"answered"``; one stopped before is cancelled. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from hive_tui.consensus.answer_part import answered
from hive_tui.consensus.grouping import analyse
from hive_tui.consensus.quality import is_valid
from hive_tui.wire import Candidate

# A sentence end is only known once something follows it ("1." may become "1.5").
_ENDS = (".", "!", "?", "\n")

# Strategies whose winner is the first valid answer: waiting for the others cannot change it.
FIRST_VALID = frozenset({"fastest"})


def settled(strategy: str, finished: Sequence[Candidate], total: int, question: str = "") -> bool:
    """May a vote of ``total`` workers stop with only ``finished`` answered?

    Yes once every worker answered; for ``FIRST_VALID`` strategies at the first valid answer;
    for the others once a strict majority of all ``total`` workers gave the same answer (the
    same answer part, see ``answer_part``): the answers still to come cannot outvote it.
    """
    if len(finished) >= total:
        return True
    if strategy in FIRST_VALID:
        return any(is_valid(c) for c in finished)
    a = analyse(finished, question)
    biggest = max((len(g) for g in a.groups if a.valid[g[0]]), default=0)
    return biggest > total / 2


class Tally:
    """One running vote of ``total`` slots, fed as text streams and answers finish."""

    def __init__(self, strategy: str, total: int, question: str = "") -> None:
        self.strategy = strategy
        self.total = total
        self.question = question
        self.done: dict[int, Candidate] = {}
        self.given: dict[int, str] = {}  # slot -> its text up to the answering sentence
        self._text: dict[int, str] = {}

    def text(self, slot: int, piece: str) -> bool:
        """A streamed piece of ``slot``'s answer; True when the vote is now settled."""
        text = self._text[slot] = self._text.get(slot, "") + piece
        if slot in self.given or slot in self.done or not any(e in text[:-1] for e in _ENDS):
            return False
        prefix = answered(text, self.question)
        if prefix is None or len(prefix) >= len(text):
            return False
        self.given[slot] = prefix
        return self.is_settled()

    def finished(self, slot: int, candidate: Candidate) -> bool:
        """``slot`` finished with ``candidate``; True when the vote is now settled."""
        self.done[slot] = candidate
        self.given.pop(slot, None)
        return self.is_settled()

    def is_settled(self) -> bool:
        known = [self.done.get(s) or self._given_candidate(s) for s in sorted(self.slots)]
        return settled(self.strategy, known, self.total, self.question)

    @property
    def slots(self) -> set[int]:
        return set(self.done) | set(self.given)

    def _given_candidate(self, slot: int) -> Candidate:
        return Candidate(worker_id=f"slot{slot}", text=self.given[slot])

    def final(self, slot: int, candidate: Candidate) -> Candidate:
        """What enters the vote for a worker stopped by early exit: its answer, if it gave one
        before it was stopped, else the cancelled candidate as it came."""
        prefix = self.given.get(slot)
        if candidate.finish_reason != "cancelled" or prefix is None:
            return candidate
        return msgspec.structs.replace(candidate, text=prefix, finish_reason="answered")
