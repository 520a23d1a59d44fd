"""The vote on a grounded prompt: retrieve, put the passages before the question, vote, then
prefer the answers the passages support. Run by the node for its own requests and by the
federation for a peer's (``from_peer``: only a shared knowledge base is read)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path

from hive_tui.retrieval.grounding import grounded_messages, prefer_supported
from hive_tui.retrieval.library import exists as holds
from hive_tui.retrieval.retrieve import retrieve
from hive_tui.swarm.swarm import SwarmRequest, VoteResult

__all__ = ["grounded_vote", "holds", "question_of"]

Vote = Callable[[SwarmRequest], Awaitable[VoteResult]]


def question_of(request: SwarmRequest) -> str:
    users = [m.content for m in request.messages if m.role == "user"]
    return users[-1] if users else ""


async def grounded_vote(vote: Vote, request: SwarmRequest, data_dir: Path) -> VoteResult:
    """``vote`` on the request with its knowledge base's passages in the prompt. The request
    handed on names no knowledge base (its passages are in its messages), so the peers of a
    federated vote answer the same grounded prompt and nothing retrieves twice."""
    assert request.kb is not None
    passages = await asyncio.to_thread(
        retrieve, data_dir, request.kb, question_of(request), from_peer=request.from_peer
    )
    grounded = dataclasses.replace(
        request,
        messages=grounded_messages(request.messages, passages),
        kb=None,
        passages=tuple(passages),
    )
    result = await vote(grounded)
    decision = prefer_supported(result.candidates, result.decision, [p.text for p in passages])
    return dataclasses.replace(result, decision=decision, passages=tuple(passages))
