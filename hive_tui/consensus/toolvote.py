"""The vote on tool calls: a call runs only if a strict majority of the workers asked for it.

Each candidate's proposal is the tuple of calls it asked for (compared by canonical JSON) or
None for a text answer. Strict majority means more than half of *all* candidates, not of
those that proposed a call: with three workers, one worker asking for ``rm -rf`` while the
other two answer in text runs nothing. Pure function, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from hive_tui.tools.calls import ToolCall, calls_key

Outcome = Literal["call", "text", "no_majority"]


@dataclass(frozen=True)
class ToolVote:
    outcome: Outcome
    calls: tuple[ToolCall, ...]  # the winning calls; empty unless outcome == "call"
    supporters: tuple[int, ...]  # candidates that proposed the winning calls (or text)
    proposals: int  # candidates that proposed any call
    distinct: int  # distinct call proposals
    note: str


def vote_tool_calls(proposals: Sequence[tuple[ToolCall, ...] | None]) -> ToolVote:
    n = len(proposals)
    keys = [None if p is None else calls_key(p) for p in proposals]
    counts = Counter(k for k in keys if k is not None)
    texts = sum(1 for k in keys if k is None)
    proposing = n - texts
    if counts:
        key, votes = max(counts.items(), key=lambda kv: (kv[1], -keys.index(kv[0])))
        if 2 * votes > n:
            first = keys.index(key)
            winning = proposals[first]
            assert winning is not None
            supporters = tuple(i for i, k in enumerate(keys) if k == key)
            note = f"{votes} of {n} workers proposed the same tool call"
            return ToolVote("call", winning, supporters, proposing, len(counts), note)
    if 2 * texts > n or proposing == 0:
        supporters = tuple(i for i, k in enumerate(keys) if k is None)
        note = f"{texts} of {n} workers answered without a tool call"
        return ToolVote("text", (), supporters, proposing, len(counts), note)
    note = (
        f"No tool call was run: the {n} workers did not agree "
        f"({len(counts)} different call(s) proposed by {proposing}, {texts} answered in text; "
        "a call needs a strict majority)."
    )
    return ToolVote("no_majority", (), (), proposing, len(counts), note)
