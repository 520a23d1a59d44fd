"""Early exit: a running vote stops its workers once the answers still to come cannot change it.

Workers stream their answers; small models often state the answer in their first sentence and
then go on explaining. ``Tally`` follows a running vote: the answers finished, and the answers
already given by workers still generating (their answering sentence is complete, see
``answer_part.answered``). The vote can stop (``Tally.is_settled``) once every worker has
answered, or once a strict majority of all N workers gave the same answer (``settled``) and
every worker still without an answer has had ``GRACE_PIECES`` streamed pieces to give one: the
remaining workers could not outvote the majority, and a worker that says nothing for that long
is rambling, not about to answer. (Without the grace, a majority settled the vote while two
confident workers were a word away from the right answer; docs/quality.md has the numbers.)

A worker stopped after it answered keeps its answer, cut after the answering sentence, with
the finish reason ``"answered"``; one stopped before is cancelled. One worker of the biggest
group goes on to the end of its answer (``Tally.keeper``) unless one of them has already
finished: early exit stops the answers that lost, not the one the user reads. Pure: no I/O,
no clock.
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

# How many streamed pieces (about tokens) a worker without an answer gets before a majority may
# stop it. Chosen on the dev split of ``hive bench quality`` at full answer length: since a
# number only named ("1." of a list) no longer counts as an answer, 8 to 32 all change the
# vote by under 0.3 points at N = 3, 5 and 8; 16 is the shortest that changes it at none.
GRACE_PIECES = 16

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
    return len(biggest_group(finished, question)) > total / 2


def biggest_group(answers: Sequence[Candidate], question: str = "") -> list[int]:
    """The indices (into ``answers``) of the biggest group of valid answers that say the same
    thing ([] when none is valid)."""
    a = analyse(answers, question)
    return max((g for g in a.groups if a.valid[g[0]]), key=len, default=[])


class Tally:
    """One running vote of ``total`` slots, fed as text streams and answers finish."""

    def __init__(self, strategy: str, total: int, question: str = "") -> None:
        self.strategy = strategy
        self.total = total
        self.question = question
        self.done: dict[int, Candidate] = {}
        self.given: dict[int, str] = {}  # slot -> its text up to the answering sentence
        self._text: dict[int, str] = {}
        self._pieces: dict[int, int] = {}  # slot -> pieces streamed so far

    def text(self, slot: int, piece: str) -> bool:
        """A streamed piece of ``slot``'s answer; True when the vote is now settled."""
        text = self._text[slot] = self._text.get(slot, "") + piece
        pieces = self._pieces[slot] = self._pieces.get(slot, 0) + 1
        if slot in self.given or slot in self.done:
            return False
        prefix = answered(text, self.question) if any(e in text[:-1] for e in _ENDS) else None
        if prefix is None or len(prefix) >= len(text):
            # Still no answer: once its grace is over, a majority need not wait for it.
            return pieces == GRACE_PIECES and self.is_settled()
        self.given[slot] = prefix
        return self.is_settled()

    def finished(self, slot: int, candidate: Candidate) -> bool:
        """``slot`` finished with ``candidate``; True when the vote is now settled."""
        self.done[slot] = candidate
        self.given.pop(slot, None)
        return self.is_settled()

    def is_settled(self) -> bool:
        slots = self.slots
        if self.strategy not in FIRST_VALID and any(
            self._pieces.get(s, 0) < GRACE_PIECES for s in range(self.total) if s not in slots
        ):
            return False  # a worker that has not answered may still be about to
        return settled(self.strategy, self._known(), self.total, self.question)

    def keeper(self) -> int | None:
        """Once settled, the slot that should go on generating: the first still generating of
        the biggest group (the majority, or the plurality when everyone answered without
        one), so that the answer the vote is likely to pick arrives whole. None when a member
        of that group has already finished its answer (it is whole), or none generates."""
        slots = sorted(self.slots)
        members = [slots[i] for i in biggest_group(self._known(), self.question)]
        if any(s in self.done for s in members):
            return None
        return next((s for s in members if s in self.given), None)

    def _known(self) -> list[Candidate]:
        return [self.done.get(s) or self._given_candidate(s) for s in sorted(self.slots)]

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
