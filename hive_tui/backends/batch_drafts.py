"""Prompt-lookup drafting in the batched engine: drafts per slot, verified in the step's batch.

A drafting slot feeds its last token and up to k tokens proposed from its own text's n-grams
(``speculative.lookup_draft``) as rows of the same ``llama_decode`` as every other slot, each
row with logits. ``walk`` then reads the slot's rows in order: row i gives the token that
follows draft token i - 1; while that token is the draft's next one, the draft's cell holds
the right token and the walk goes on. So a step emits between 1 and k + 1 tokens per slot.
As in the one-sequence engine, a slot's draft length adapts: it doubles (up to k) while its
drafts are kept whole and shrinks to what was kept after a rejection, so a slot whose text
copies nothing stops paying for rows that never hold.

* Greedy slots take the argmax of each row, so their text is the text without drafting,
  token for token.
* Sampled slots draw from ``speculative.processed_probs`` with their own numpy generator
  (seeded by the request) and judge each draft token exactly (``speculative.judge``): the
  output is distributed as without drafting, though a seed gives another sample than
  llama.cpp's sampler chain would.
* Grammar slots do not draft: the grammar must see every token as it is drawn.

What the engine does with the result (emitting, stop strings, dropping the cells of rejected
draft tokens) stays in ``batched_engine``; this module is the part without llama.cpp.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hive_tui import wire
from hive_tui.backends.speculative import judge, lookup_draft, processed_probs, sample


@dataclass(eq=False)
class Drafting:
    """One slot's drafting state: the tokens it proposed this step and where their rows are."""

    params: wire.SamplingParams
    rng: np.random.Generator | None = None  # sampled slots; None for greedy ones
    draft: list[int] = field(default_factory=list)
    outs: list[int] = field(default_factory=list)  # output rows: the fed token's, then drafts'
    most: int = 8  # k: the most a step may propose
    want: int = 8  # the most to propose next: adapts between 1 and k

    @classmethod
    def for_request(cls, params: wire.SamplingParams, most: int) -> Drafting | None:
        """A slot's state, or None for a slot that does not draft (a grammar)."""
        if params.grammar is not None:
            return None
        if params.temperature <= 0:
            return cls(params, most=most, want=most)
        seed = params.seed
        rng = np.random.default_rng(None if seed is None else seed & 0xFFFFFFFF)
        return cls(params, rng, most=most, want=most)

    def propose(self, history: list[int], room: int) -> list[int]:
        """Up to ``room`` tokens to feed after the last of ``history`` (kept for the walk)."""
        room = min(room, self.want)
        self.draft = lookup_draft(history, room) if room > 0 else []
        self.outs = []
        return self.draft

    def choose(self, row: np.ndarray, draft: int | None) -> tuple[int, bool]:
        """The token a row gives, and whether it is the draft token offered for it."""
        if self.rng is None:
            top = int(row.argmax())
            return top, top == draft
        p = self.params
        probs = processed_probs(row, p.temperature, p.top_k, p.top_p)
        if draft is None:
            return sample(probs, self.rng), False
        return judge(probs, draft, self.rng)

    def walk(self, block: np.ndarray) -> list[tuple[int, int]]:
        """(output row, token) for every token this step gives, in order: one per row while
        the drafts hold, and the token after the last one kept."""
        out: list[tuple[int, int]] = []
        for i, row in enumerate(self.outs):
            draft = self.draft[i] if i < len(self.draft) else None
            token, kept = self.choose(block[row], draft)
            out.append((row, token))
            if not kept:
                break
        if self.draft:  # the one-sequence engine's rule (llama_speculative)
            whole = len(out) == len(self.draft) + 1
            self.want = min(self.most, 2 * self.want) if whole else max(1, len(out))
        return out
