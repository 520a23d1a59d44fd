"""Prompt-lookup drafting in the batched engine: drafts per slot, verified in the step's batch.

A drafting slot feeds its last token and up to k tokens proposed from its own text's n-grams
(``speculative.lookup_draft``) as rows of the same ``llama_decode`` as every other slot, each
row with logits. ``walk`` then reads the slot's rows in order: row i gives the token that
follows draft token i - 1; while that token is the draft's next one, the draft's cell holds
the right token and the walk goes on. So a step emits between 1 and k + 1 tokens per slot.
As in the one-sequence engine, a slot's draft length adapts (``speculative.next_draft_length``)
so a slot whose text copies nothing stops paying for rows that never hold.

Rows are read by ``speculative.Chooser``, as in the one-sequence engine: greedy slots take the
argmax, so their text is the text without drafting, token for token; sampled slots draw with
their own seeded generator and judge each draft token exactly, so the output is distributed as
without drafting (though a seed gives another sample than llama.cpp's sampler chain would).
Grammar slots do not draft: the grammar must see every token as it is drawn.

What the engine does with the result (emitting, stop strings, dropping the cells of rejected
draft tokens) stays in ``batched_engine``; this module is the part without llama.cpp.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hive_tui import wire
from hive_tui.backends.speculative import Chooser, lookup_draft, next_draft_length


@dataclass(eq=False)
class Drafting:
    """One slot's drafting state: the tokens it proposed this step and where their rows are."""

    choose: Chooser
    most: int  # k: the most a step may propose
    want: int  # the most to propose next: adapts between 1 and k
    draft: list[int] = field(default_factory=list)
    outs: list[int] = field(default_factory=list)  # output rows: the fed token's, then drafts'

    @classmethod
    def for_request(cls, params: wire.SamplingParams, most: int) -> Drafting | None:
        """A slot's state, or None for a slot that does not draft (a grammar)."""
        if params.grammar is not None:
            return None
        return cls(Chooser(params), most, most)

    def propose(self, history: list[int], room: int) -> list[int]:
        """Up to ``room`` tokens to feed after the last of ``history`` (kept for the walk)."""
        room = min(room, self.want)
        self.draft = lookup_draft(history, room) if room > 0 else []
        self.outs = []
        return self.draft

    def walk(self, block: np.ndarray) -> list[tuple[int, int]]:
        """(output row, token) for every token this step gives, in order: one per row while
        the drafts hold, and the token after the last one kept."""
        out: list[tuple[int, int]] = []
        for i, row in enumerate(self.outs):
            token, kept = self.choose(block[row], self.draft[i] if i < len(self.draft) else None)
            out.append((row, token))
            if not kept:
                break
        if self.draft:
            self.want = next_draft_length(self.want, len(self.draft), len(out), self.most)
        return out
