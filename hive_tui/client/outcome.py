"""Folding the core's answer to a vote into a turn (pure; no Textual).

Events stream a vote as it happens, but a federated vote's per-node results (each peer's local
winner and agreement) only exist in the result the core returns, and that result can arrive
before the last events. So once the core answers, the turn is *settled* from the result, and
later events about that vote are ignored.

Worker ids are qualified the way federation publishes remote workers' events (``w0@node-b``),
so a remote candidate in the result names the same box the vote view streamed it into.
"""

from __future__ import annotations

import msgspec

from hive_tui import wire
from hive_tui.client.turn import NodeOutcome, Turn
from hive_tui.federation.vote import HiveResult, NodeVote
from hive_tui.node import VoteResult


def qualified(candidate: wire.Candidate, own_node: str) -> wire.Candidate:
    if candidate.node_id in (own_node, "local") or "@" in candidate.worker_id:
        return candidate
    return msgspec.structs.replace(
        candidate, worker_id=wire.remote_worker_id(candidate.worker_id, candidate.node_id)
    )


def node_outcome(node: NodeVote, own_node: str, score: float | None) -> NodeOutcome:
    winner = node.winner
    return NodeOutcome(
        node_id=node.node_id,
        name=node.name or node.node_id,
        state=node.state,
        winner=qualified(winner, own_node).worker_id if winner is not None else None,
        agreement=node.decision.agreement if node.decision else 0.0,
        weight=node.weight,
        answers=len(node.candidates),
        error=node.error,
        latency_s=node.latency_s,
        score=score,
        is_self=node.node_id == own_node,
    )


def settle(turn: Turn, result: VoteResult, own_node: str) -> None:
    """The core's result for the vote the turn follows: the authoritative final state."""
    turn.candidates = [qualified(c, own_node) for c in result.candidates]
    turn.decision = result.decision
    turn.degraded = result.degraded
    turn.missing = list(result.missing)
    if isinstance(result, HiveResult):
        voters = [n for n in result.nodes if n.state == "ok" and n.winner is not None]
        scores = dict(zip((n.node_id for n in voters), result.decision.scores, strict=False))
        turn.nodes = [node_outcome(n, own_node, scores.get(n.node_id)) for n in result.nodes]
        turn.pool = [qualified(c, own_node) for n in result.nodes for c in n.candidates]
    else:
        turn.nodes = []
        turn.pool = list(turn.candidates)
    for c in turn.pool:  # the texts too: the vote's last tokens may not have arrived yet
        turn.drafts[c.worker_id] = c.text
        if c.worker_id not in turn.worker_ids:
            turn.worker_ids.append(c.worker_id)
    turn.context = result.context
    turn.settled = True
