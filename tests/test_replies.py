"""``hive --connect``'s typed reply carries the whole vote, federated or not: a result that goes
through ``wire.VoteReply`` as JSON comes back equal, groups and every node's part included."""

from __future__ import annotations

import msgspec

from hive_tui import consensus, wire
from hive_tui.federation import vote
from hive_tui.federation.replies import reply_from_result, result_from_reply
from hive_tui.node import VoteResult


def local(node_id: str, texts: list[str]) -> VoteResult:
    candidates = [wire.Candidate(f"w{i}", t, node_id) for i, t in enumerate(texts)]
    decision = consensus.decide("similarity", candidates)
    return VoteResult(f"req-{node_id}", 7, candidates, decision, False, [], 12)


def over_json(result: VoteResult) -> VoteResult:
    body = msgspec.json.encode(reply_from_result(result))
    return result_from_reply(msgspec.json.decode(body, type=wire.VoteReply))


def test_a_local_vote_comes_back_whole():
    result = local("node-a", ["Paris.", "Paris", "London."])
    assert len(result.decision.groups) == 2
    assert over_json(result) == result


def test_a_federated_vote_comes_back_with_every_node():
    nodes = [
        vote.from_local("node-a", "a", local("node-a", ["Paris.", "Paris."])),
        vote.from_local("node-b", "b", local("node-b", ["Lyon.", "Paris."])),
        vote.NodeVote("node-c", "c", "missing", error="no result within 5 s"),
    ]
    result = vote.combine("req-1", "similarity", nodes, 7, 5.0)
    assert isinstance(result, vote.HiveResult) and len(result.nodes) == 3
    again = over_json(result)
    assert isinstance(again, vote.HiveResult)
    assert again == result and again.winner_node == result.winner_node
    assert [n.weight for n in again.nodes] == [n.weight for n in result.nodes]
