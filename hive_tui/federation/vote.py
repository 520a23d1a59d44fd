"""Phase two of a hive vote: a global decision over the nodes' local winners (pure functions).

Each node's local winner carries the evidence behind it: how many of that node's workers gave
the same answer (the size of the winner's group in its local vote). The global vote runs the
same consensus strategy as a local vote, over a candidate list where each node's winner
appears once per supporting worker, so "3 of 3 workers on node A said Paris" outweighs
"1 of 3 on node B said Lyon", exactly as if those workers had voted in one swarm, while each
node still contributes only its own winner.

Nothing a peer claims is trusted for the weight: its local decision is recomputed here from
the candidates it sent, the weight is capped, and the node id is the authenticated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from hive_tui import consensus, wire
from hive_tui.consensus.grouping import analyse
from hive_tui.swarm.swarm import VoteResult

# A node's weight is the number of its workers that agreed on its winner; a hive node runs a
# handful of workers, so 16 bounds what one (buggy or hostile) peer can add to the vote.
MAX_NODE_WEIGHT = 16
MAX_CANDIDATES_PER_NODE = 64

NodeState = Literal["ok", "missing", "error"]


@dataclass(frozen=True)
class NodeVote:
    """One node's part in a hive vote: its local vote, or why it has none."""

    node_id: str
    name: str
    state: NodeState
    candidates: list[wire.Candidate] = field(default_factory=list)
    decision: wire.Decision | None = None
    seed: int = 0
    degraded: bool = False
    missing: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    error: str | None = None
    latency_s: float = 0.0

    @property
    def winner(self) -> wire.Candidate | None:
        if self.decision is None or self.decision.winner < 0:
            return None
        return self.candidates[self.decision.winner]

    @property
    def weight(self) -> int:
        """Workers behind the local winner: the winner's group size (at least 1, capped)."""
        d = self.decision
        if d is None or d.winner < 0:
            return 0
        group = next((g for g in d.groups if d.winner in g), [d.winner])
        return max(1, min(len(group), MAX_NODE_WEIGHT))


@dataclass(frozen=True)
class HiveResult(VoteResult):
    """A federated answer. The inherited fields describe the global vote: ``candidates`` are
    the nodes' local winners, ``decision`` the global decision over them, ``missing`` the
    nodes that were asked and gave no result. ``nodes`` holds every node's local vote."""

    nodes: tuple[NodeVote, ...] = ()
    deadline_s: float = 0.0

    @property
    def winner_node(self) -> str:
        return self.winner.node_id


def from_local(node_id: str, name: str, result: VoteResult, latency_s: float = 0.0) -> NodeVote:
    return NodeVote(
        node_id,
        name,
        "ok",
        list(result.candidates),
        result.decision,
        result.seed,
        result.degraded,
        list(result.missing),
        result.prompt_tokens,
        latency_s=latency_s,
    )


def from_peer(
    node_id: str,
    name: str,
    result: wire.PeerLocalResult,
    strategy: str,
    latency_s: float = 0.0,
    question: str = "",
) -> NodeVote:
    """A peer's local result, re-decided here; its node id is the authenticated one."""
    candidates = [
        msgspec.structs.replace(c, node_id=node_id)
        for c in result.candidates[:MAX_CANDIDATES_PER_NODE]
    ]
    if not candidates:
        return NodeVote(node_id, name, "error", error="no candidates", latency_s=latency_s)
    decision = consensus.decide(strategy, candidates, question)
    return NodeVote(
        node_id,
        name,
        "ok",
        candidates,
        decision,
        result.seed,
        result.degraded,
        list(result.missing),
        result.prompt_tokens,
        latency_s=latency_s,
    )


def global_decision(
    strategy: str, voters: Sequence[NodeVote], question: str = ""
) -> wire.Decision:
    """The strategy's decision over the voters' winners, each repeated ``weight`` times;
    scores, groups and the winner are mapped back to indices into ``voters``."""
    expanded: list[wire.Candidate] = []
    owner: list[int] = []
    for v, node in enumerate(voters):
        local = node.winner
        assert local is not None, "only nodes with a local winner vote"
        expanded.extend([local] * max(1, node.weight))
        owner.extend([v] * max(1, node.weight))
    d = consensus.decide(strategy, expanded, question)
    if d.winner < 0:
        return wire.Decision(strategy, -1, [], [], 0.0)
    scores = [0.0] * len(voters)
    for i, score in enumerate(d.scores):
        scores[owner[i]] = max(scores[owner[i]], score)
    groups: list[list[int]] = []
    for g in d.groups:
        nodes = sorted({owner[i] for i in g})
        if nodes not in groups:
            groups.append(nodes)
    winner = owner[d.winner]
    if d.agree_count == 0:  # nothing valid: nobody agreed on anything
        return wire.Decision(strategy, winner, scores, groups, d.agreement)
    # "k of N agree" counts nodes, and the similarity is to the other nodes' answers (the
    # weighted copies above would count the winner's own node as agreeing with it).
    agree = len(next(g for g in groups if winner in g))
    winners = [v.winner for v in voters if v.winner is not None]
    centrality = analyse(winners, question).centrality
    return wire.Decision(
        strategy, winner, scores, groups, d.agreement, agree, centrality[winner]
    )


def combine(
    request_id: str,
    strategy: str,
    nodes: Sequence[NodeVote],
    seed: int,
    deadline_s: float,
    question: str = "",
) -> HiveResult | None:
    """The hive's answer from every node's part; None when no node has a winner."""
    voters = [n for n in nodes if n.state == "ok" and n.winner is not None]
    if not voters:
        return None
    decision = global_decision(strategy, voters, question)
    missing = [n.node_id for n in nodes if n not in voters]
    winner_node = voters[decision.winner]
    return HiveResult(
        request_id=request_id,
        seed=seed,
        candidates=[v.winner for v in voters if v.winner is not None],  # every voter has one
        decision=decision,
        degraded=bool(missing) or any(v.degraded for v in voters),
        missing=missing,
        prompt_tokens=winner_node.prompt_tokens,
        nodes=tuple(nodes),
        deadline_s=deadline_s,
    )
