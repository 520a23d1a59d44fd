"""Hybrid retrieval: vector k-NN and FTS5 bm25, fused by reciprocal rank.

Reciprocal rank fusion (Cormack et al., 2009) adds ``1 / (RRF_K + rank)`` over the lists a
passage appears in: it needs no calibration between cosine and bm25 scales, and a passage
found by both beats one found well by only one. Keywords matter here: a small chat model's
mean-pooled vectors are a weak semantic signal, and names of invented things are exact words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hive_tui.retrieval.store import Hit, Store

RRF_K = 60  # the paper's constant, not tuned here
CANDIDATES = 20  # per list, before fusion
# The vector list's weight in the fusion when the vectors come from a chat model's mean-pooled
# states (the embedded SmolLM2) rather than an embedding model: on the bench corpus such
# vectors put the right file first for 15 of 30 questions against bm25's 30, and at full
# weight they pulled hybrid down to 27 (0.2: 29 first, 30 in the top 3; docs/retrieval.md).
CHAT_MODEL_VECTOR_WEIGHT = 0.2


def fuse(
    lists: Sequence[Sequence[Hit]], k: int, weights: Sequence[float] | None = None
) -> list[Hit]:
    """The k best hits by (weighted) reciprocal rank fusion; the score is the fused one."""
    scores: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for index, hits in enumerate(lists):
        weight = 1.0 if weights is None else weights[index]
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (RRF_K + rank)
            first.setdefault(hit.chunk_id, hit)
    best = sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]
    return [
        Hit(h.chunk_id, h.path, h.start_line, h.end_line, h.text, round(scores[cid], 6))
        for cid in best
        for h in (first[cid],)
    ]


def hybrid_search(
    store: Store,
    query: str,
    query_vector: np.ndarray | None,
    k: int,
    vector_weight: float = 1.0,
) -> list[Hit]:
    lists = [store.keyword_search(query, CANDIDATES)]
    weights = [1.0]
    if query_vector is not None:
        lists.append(store.vector_search(query_vector, CANDIDATES))
        weights.append(vector_weight)
    return fuse(lists, k, weights)
