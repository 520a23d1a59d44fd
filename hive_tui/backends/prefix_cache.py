"""Which sequence of a batched context already holds the start of a prompt (a prefix cache).

Pure bookkeeping: the engine owns the cells and passes ``drop(seq, keep)``, which removes a
sequence's cells from position ``keep`` on. A free sequence keeps the tokens of its last
request (prompt and fed tokens) until a new prompt takes it; the next prompt goes to the free
sequence holding the longest prefix of it, so a conversation's next turn, or a system prompt
shared by requests, is not evaluated again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PrefixCache:
    def __init__(self, drop: Callable[[int, int], None]) -> None:
        self._drop = drop
        self._held: dict[int, list[int]] = {}  # a free sequence -> the tokens its cells hold

    def reuse(self, seq: int, prompt: Sequence[int]) -> int:
        """How many of the prompt's first tokens the sequence already holds."""
        return common_prefix(self._held.get(seq, ()), prompt)

    def take_for(self, prompt: Sequence[int], free: list[int]) -> tuple[int, int]:
        """(sequence, tokens reused) for a prompt to evaluate: the free sequence holding the
        longest prefix of it, its cells past that prefix dropped. The prompt's last token is
        always evaluated again: its logits are the first the slot samples from."""
        seq = max(free, key=lambda s: self.reuse(s, prompt))
        keep = min(self.reuse(seq, prompt), len(prompt) - 1)
        self._take(seq, keep, free)
        return seq, keep

    def take_empty(self, prompt: Sequence[int], free: list[int]) -> int:
        """A free sequence emptied, for a slot that gets another's cells copied in: the one
        whose cache is of least use to this prompt."""
        seq = min(free, key=lambda s: self.reuse(s, prompt))
        self._take(seq, 0, free)
        return seq

    def keep(self, seq: int, tokens: list[int]) -> None:
        """The sequence is free again and its cells hold these tokens."""
        self._held[seq] = tokens

    def forget(self) -> None:
        """Every cell was dropped (the engine cleared its memory)."""
        self._held.clear()

    def _take(self, seq: int, keep: int, free: list[int]) -> None:
        free.remove(seq)
        if len(self._held.pop(seq, ())) > keep:
            self._drop(seq, keep)
