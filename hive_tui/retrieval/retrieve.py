"""One question to passages: open the knowledge base, embed the question with the model the
base was built with, search both ways, fuse (``search.hybrid_search``)."""

from __future__ import annotations

from pathlib import Path

from hive_tui import wire
from hive_tui.retrieval.embedder import Embedder, EmbedInputRefused
from hive_tui.retrieval.library import check_access, open_kb
from hive_tui.retrieval.search import CHAT_MODEL_VECTOR_WEIGHT, hybrid_search

DEFAULT_K = 3


def retrieve(
    data_dir: Path,
    kb: str,
    question: str,
    *,
    from_peer: bool = False,
    k: int = DEFAULT_K,
    embedder: Embedder | None = None,
) -> list[wire.Passage]:
    """The k best passages of ``kb`` for ``question``. A peer's request reads only a shared
    knowledge base: the access check comes before the base is opened."""
    check_access(data_dir, kb, from_peer)
    store = open_kb(data_dir, kb)
    try:
        vector = None
        model = store.get_meta("model")
        if store.counts()[1] and model:
            try:
                if embedder is not None and embedder.model_path == model:
                    vector = embedder.embed([question])[0]
                else:
                    with Embedder(model) as own:
                        vector = own.embed([question])[0]
            except EmbedInputRefused:  # nothing the model reads: the keyword search alone
                vector = None
        weight = 1.0 if store.get_meta("model_kind") == "embedding" else CHAT_MODEL_VECTOR_WEIGHT
        hits = hybrid_search(store, question, vector, k, weight)
    finally:
        store.close()
    return [wire.Passage(kb, h.path, h.start_line, h.end_line, h.score, h.text) for h in hits]
