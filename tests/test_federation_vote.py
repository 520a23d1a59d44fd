"""The global vote over nodes' local winners (pure; no sockets)."""

from __future__ import annotations

from hive_tui import consensus, wire
from hive_tui.federation import vote


def local(node_id: str, texts: list[str], strategy: str = "similarity") -> wire.PeerLocalResult:
    cands = [wire.Candidate(f"w{i}", t, node_id="claimed") for i, t in enumerate(texts)]
    # A peer's own claims (here: a bogus decision) are never used for the weight.
    bogus = wire.Decision(strategy, 0, [1.0] * len(texts), [list(range(len(texts)))] * 50, 1.0)
    return wire.PeerLocalResult("r", "claimed", 1, cands, bogus)


def test_weighted_global_vote_follows_the_evidence():
    # A's three workers all disagree (weight 1); B's agree (3); C's two Berlins agree (2).
    a = vote.from_peer(
        "A", "a", local("A", ["Lyon is the capital.", "Madrid.", "Rome, surely."]), "similarity"
    )
    b = vote.from_peer("B", "b", local("B", ["Paris.", "Paris", "Paris!"]), "similarity")
    c = vote.from_peer(
        "C", "c", local("C", ["The capital is Berlin.", "Berlin", "Oslo."]), "similarity"
    )
    assert (a.weight, b.weight, c.weight) == (1, 3, 2)
    assert all(x.node_id == n for x, n in zip((a, b, c), "ABC", strict=True))
    assert all(cand.node_id == "B" for cand in b.candidates)  # the authenticated id, not the claim
    result = vote.combine("r", "similarity", [a, b, c], seed=1, deadline_s=5)
    assert result is not None
    assert result.winner_node == "B" and "Paris" in result.winner.text
    assert result.decision.agreement == 3 / 6
    # What users read: B's node alone holds its answer among the 3 nodes.
    assert result.decision.agree_count == 1 and 0.0 <= result.decision.mean_similarity < 0.5


def test_nodes_that_agree_are_counted_as_nodes():
    nodes = [
        vote.from_peer(n, n.lower(), local(n, texts), "similarity")
        for n, texts in (("A", ["The capital of France is Paris."] * 3),
                         ("B", ["The capital of France is Paris."]),
                         ("C", ["The capital of France is Paris.", "Lyon."]))
    ]
    result = vote.combine("r", "similarity", nodes, seed=1, deadline_s=5)
    assert result is not None
    d = result.decision
    assert d.groups == [[0, 1, 2]] and d.agreement == 1.0
    assert d.agree_count == 3 and d.mean_similarity == 1.0
    single = vote.combine("r", "similarity", nodes[:1], seed=1, deadline_s=5)
    assert single is not None and single.decision.agree_count == 1
    assert len(result.decision.scores) == 3 and result.missing == []
    assert sorted(i for g in result.decision.groups for i in g) == [0, 1, 2]


def test_missing_and_failed_nodes_are_named_and_do_not_vote():
    ok = vote.from_peer("A", "a", local("A", ["Paris."]), "majority")
    gone = vote.NodeVote("B", "b", "missing", error="no result before the deadline")
    broken = vote.from_peer(
        "C",
        "c",
        wire.PeerLocalResult("r", "C", 1, [], wire.Decision("majority", -1, [], [], 0.0)),
        "majority",
    )
    assert broken.state == "error"
    result = vote.combine("r", "majority", [ok, gone, broken], seed=1, deadline_s=5)
    assert result is not None and result.winner_node == "A"
    assert result.missing == ["B", "C"] and result.degraded
    assert vote.combine("r", "majority", [gone], seed=1, deadline_s=5) is None


def test_weight_is_capped_whatever_a_peer_sends():
    flood = vote.from_peer("A", "a", local("A", ["Lyon."] * 500), "similarity")
    assert len(flood.candidates) == vote.MAX_CANDIDATES_PER_NODE
    assert flood.weight == vote.MAX_NODE_WEIGHT


def test_every_strategy_gives_a_global_decision():
    nodes = [
        vote.from_peer(n, n, local(n, texts), "similarity")
        for n, texts in (("A", ["Paris.", "Paris"]), ("B", ["Lyon."]))
    ]
    for strategy in consensus.STRATEGIES:
        d = vote.global_decision(strategy, nodes)
        assert d.strategy == strategy and d.winner in (0, 1) and len(d.scores) == 2


async def test_a_peer_casts_at_most_one_local_result_per_request():
    from hive_tui.federation.service import Round

    rnd = Round("r", "similarity", {"A": "a", "B": "b"})
    first = vote.from_peer("A", "a", local("A", ["Paris."]), "similarity")
    again = vote.from_peer("A", "a", local("A", ["Lyon.", "Lyon.", "Lyon."]), "similarity")
    stranger = vote.from_peer("Z", "z", local("Z", ["Rome."]), "similarity")
    rnd.settle(first)
    rnd.settle(again)  # a second result for the same request is ignored
    rnd.settle(stranger)  # so is one from a node that was not asked
    assert rnd.results == {"A": first} and not rnd.complete.is_set()
    assert rnd.waiting_for("B") and not rnd.waiting_for("A") and not rnd.waiting_for("Z")
    rnd.settle(vote.NodeVote("B", "b", "missing", error="connection lost"))
    assert rnd.complete.is_set()
