"""A vote's result as the typed reply ``hive --connect`` receives (``wire.VoteReply``), and
back: the app settles a remote turn from the same ``VoteResult``/``HiveResult`` as a local
one, groups and scores included."""

from __future__ import annotations

import msgspec

from hive_tui import wire
from hive_tui.federation.vote import HiveResult, NodeVote
from hive_tui.swarm.swarm import VoteResult


def _node_reply(n: NodeVote) -> wire.NodeVoteReply:
    return wire.NodeVoteReply(
        n.node_id, n.name, n.state, list(n.candidates), n.decision, n.seed, n.degraded,
        list(n.missing), n.prompt_tokens, n.error, n.latency_s,
    )


def reply_from_result(result: VoteResult) -> wire.VoteReply:
    reply = wire.VoteReply(
        result.request_id,
        result.seed,
        list(result.candidates),
        result.decision,
        result.degraded,
        list(result.missing),
        result.prompt_tokens,
        context=result.context,
    )
    if not isinstance(result, HiveResult):
        return reply
    nodes = [_node_reply(n) for n in result.nodes]
    return msgspec.structs.replace(reply, nodes=nodes, deadline_s=result.deadline_s)


def result_from_reply(reply: wire.VoteReply) -> VoteResult:
    common = (
        reply.request_id, reply.seed, list(reply.candidates), reply.decision, reply.degraded,
        list(reply.missing), reply.prompt_tokens,
    )
    if reply.nodes is None:
        return VoteResult(*common, context=reply.context)
    nodes = tuple(
        NodeVote(
            n.node_id, n.name, n.state, list(n.candidates), n.decision, n.seed, n.degraded,
            list(n.missing), n.prompt_tokens, n.error, n.latency_s,
        )
        for n in reply.nodes
    )
    return HiveResult(*common, context=reply.context, nodes=nodes, deadline_s=reply.deadline_s)
