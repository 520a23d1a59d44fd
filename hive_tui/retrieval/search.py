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

RRF_K = 60
CANDIDATES = 20  # per list, before fusion


def fuse(lists: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """The k best hits by reciprocal rank fusion; the score is the fused one."""
    scores: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            first.setdefault(hit.chunk_id, hit)
    best = sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]
    return [
        Hit(h.chunk_id, h.path, h.start_line, h.end_line, h.text, round(scores[cid], 6))
        for cid in best
        for h in (first[cid],)
    ]


def hybrid_search(store: Store, query: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
    lists = [store.keyword_search(query, CANDIDATES)]
    if query_vector is not None:
        lists.insert(0, store.vector_search(query_vector, CANDIDATES))
    return fuse(lists, k)
