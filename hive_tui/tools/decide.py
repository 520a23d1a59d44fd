"""From a finished vote to what the swarm says: a tool call (voted), or a text answer.

Used by the API (which hands the winning calls to the client) and by the built-in tool runner
(which runs them after the user confirms). The text vote stays the consensus strategy's; this
only decides whether the turn is a tool call, and if it is text, picks the best-scored
candidate among those that answered in text.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hive_tui.consensus.toolvote import ToolVote, vote_tool_calls
from hive_tui.swarm.swarm import VoteResult
from hive_tui.tools.calls import ToolCall, parse_tool_calls


@dataclass(frozen=True)
class ToolDecision:
    vote: ToolVote
    calls: tuple[ToolCall, ...]  # to run; empty for a text answer
    text: str  # the answer when no call runs (the note when the workers did not agree)
    winner: int  # index of the candidate whose text or calls stand

    @property
    def is_call(self) -> bool:
        return bool(self.calls)


def decide_tools(
    result: VoteResult, offered: Collection[str], required: bool = False
) -> ToolDecision:
    proposals = [parse_tool_calls(c.text) for c in result.candidates]
    vote = vote_tool_calls(proposals)
    if vote.outcome == "call":
        unknown = sorted({c.name for c in vote.calls} - set(offered))
        if unknown:
            note = f"No tool call was run: the workers asked for tool(s) not offered: {unknown}."
            return ToolDecision(vote, (), note, vote.supporters[0])
        return ToolDecision(vote, vote.calls, "", vote.supporters[0])
    if vote.outcome == "no_majority":
        return ToolDecision(vote, (), vote.note, result.decision.winner)
    if required:
        note = "No tool call was run: tool_choice required one, but most workers answered in text."
        return ToolDecision(vote, (), note, result.decision.winner)
    # A text answer: the strategy's winner if it answered in text, else the best-scored text.
    text_ones = set(vote.supporters)
    scores = result.decision.scores
    winner = result.decision.winner
    if winner not in text_ones and text_ones:
        winner = max(text_ones, key=lambda i: (scores[i], -i))
    return ToolDecision(vote, (), result.candidates[winner].text, winner)
