"""A node's chat completion (its ``hive`` vote object) back into the core's result types.

``hive --connect`` asks over the OpenAI-compatible API; the response's ``hive`` object holds
every candidate with its score, and for a federated answer every node's local vote. Rebuilding
a ``VoteResult``/``HiveResult`` from it lets the app settle a remote turn exactly as a local
one. Only what the vote view shows is rebuilt: per-candidate scores, not the full groups.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hive_tui import wire
from hive_tui.api import schemas
from hive_tui.federation.vote import HiveResult, NodeVote
from hive_tui.swarm.swarm import VoteResult


def _candidates(views: list[schemas.CandidateView]) -> list[wire.Candidate]:
    return [
        wire.Candidate(
            worker_id=v.worker_id,
            text=v.text,
            node_id=v.node_id,
            finish_reason=v.finish_reason,
            completion_tokens=v.tokens,
            latency_s=v.latency_s,
            mean_logprob=v.mean_logprob,
        )
        for v in views
    ]


def _decision(strategy: str, views: list[schemas.CandidateView], agreement: float,
              groups: list[list[int]] | None = None,
              vote: schemas.HiveVote | None = None) -> wire.Decision:
    winner = next((i for i, v in enumerate(views) if v.winner), -1)
    return wire.Decision(strategy, winner, [v.score for v in views], groups or [], agreement,
                         agree_count=vote.agree_count if vote else 0,
                         mean_similarity=vote.mean_similarity if vote else 0.0)


def _node(view: schemas.NodeVoteView, strategy: str) -> NodeVote:
    candidates = _candidates(view.candidates)
    decision = _decision(strategy, view.candidates, view.agreement) if candidates else None
    if decision is not None and view.winner is not None:
        # The node's winner is named by worker id; keep it even if no view says "winner".
        index = next((i for i, c in enumerate(candidates) if c.worker_id == view.winner), -1)
        decision = msgspec.structs.replace(decision, winner=index)
        # The weight is the winner's group size; one group of ``weight`` keeps it.
        decision = msgspec.structs.replace(
            decision, groups=[[index] + [i for i in range(len(candidates)) if i != index]
                              [: max(0, view.weight - 1)]])
    state = view.state if view.state in ("ok", "missing", "error") else "error"
    return NodeVote(view.node_id, view.name, state, candidates, decision,  # type: ignore[arg-type]
                    error=view.error, latency_s=view.latency_s)


def result_from_response(request_id: str, body: Any) -> VoteResult:
    vote = msgspec.convert(body["hive"], schemas.HiveVote)
    usage = body.get("usage") or {}
    candidates = _candidates(vote.candidates)
    decision = _decision(vote.strategy, vote.candidates, vote.agreement, vote.groups, vote)
    common = dict(request_id=request_id, seed=vote.seed, candidates=candidates,
                  decision=decision, degraded=vote.degraded, missing=list(vote.missing),
                  prompt_tokens=int(usage.get("prompt_tokens", 0)))
    if vote.nodes is None:
        return VoteResult(**common)  # type: ignore[arg-type]
    return HiveResult(**common, nodes=tuple(_node(n, vote.strategy) for n in vote.nodes))  # type: ignore[arg-type]
