"""``hive bench rag``: does retrieval let the embedded model answer what it cannot know?

In a temporary data folder: index the corpus of invented facts (``corpus``), measure
retrieval recall@k, then ask every question through a real node twice, with the knowledge
base and without, and count right answers (the expected word in the answer) and right
citations (the file of the fact among the sources the answer cites). ``--index-files N``
also times indexing N generated small files, and a second pass over them unchanged.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hive_tui import wire
from hive_tui.bench.rag.corpus import FACTS, write_corpus
from hive_tui.retrieval.embedder import LazyEmbedder, find_embedding_model, is_embedding_model
from hive_tui.retrieval.grounding import cite
from hive_tui.retrieval.indexer import index_paths
from hive_tui.retrieval.library import open_kb
from hive_tui.retrieval.retrieve import retrieve

KB = "bench"


def build_kb(data_dir: Path, folder: Path, model: str, threads: int) -> dict[str, Any]:
    store = open_kb(data_dir, KB, create=True)
    try:
        store.set_meta("model", model)
        store.set_meta("model_kind", "embedding" if is_embedding_model(model) else "chat")
        started = time.perf_counter()
        with LazyEmbedder(model, threads) as embedder:
            report = index_paths(store, [folder], embedder)
        took = time.perf_counter() - started
        started = time.perf_counter()
        with LazyEmbedder(model, threads) as again:
            second = index_paths(store, [folder], again)
        return {
            "files": len(report.added), "chunks": report.chunks, "index_s": round(took, 2),
            "embed_tokens": embedder.tokens, "embed_s": round(embedder.seconds, 2),
            "reindex_s": round(time.perf_counter() - started, 3),
            "reindex_unchanged": second.unchanged, "reindex_embedded": len(second.added),
        }
    finally:
        store.close()


def recall(data_dir: Path, ks: tuple[int, ...] = (1, 3)) -> dict[str, float]:
    found = dict.fromkeys(ks, 0)
    for fact in FACTS:
        names = [Path(p.path).name for p in retrieve(data_dir, KB, fact.question, k=max(ks))]
        for k in ks:
            found[k] += fact.file in names[:k]
    return {f"recall@{k}": round(n / len(FACTS), 3) for k, n in found.items()}


async def ask_all(settings: Any, workers: int, max_tokens: int, seed: int) -> dict[str, Any]:
    from hive_tui.node import Node
    from hive_tui.node_plan import make_plan

    node = Node(settings, make_plan(settings))
    rows: list[dict[str, Any]] = []
    await node.start()
    try:
        for fact in FACTS:
            row: dict[str, Any] = {"question": fact.question, "expected": fact.answer}
            for mode, kb in (("rag", KB), ("plain", None)):
                messages = [wire.ChatMessage("user", fact.question)]
                request = node.request(messages, seed=seed, max_tokens=max_tokens,
                                       workers=workers, kb=kb)
                result = await node.answer(request)
                text = result.winner.text.strip()
                cited = [Path(p.path).name for p in cite(text, result.passages)]
                row[mode] = {"answer": text, "right": fact.answer.lower() in text.lower(),
                             "cited": cited, "cited_right": fact.file in cited}
            rows.append(row)
            print(f"{'+' if row['rag']['right'] else '-'} {fact.question} -> "
                  f"{row['rag']['answer'][:70]!r} {row['rag']['cited']}", file=sys.stderr)
    finally:
        await node.stop()
    n = len(rows)
    return {
        "rows": rows,
        "with_retrieval": round(sum(r["rag"]["right"] for r in rows) / n, 3),
        "with_retrieval_cited_right": round(
            sum(r["rag"]["right"] and r["rag"]["cited_right"] for r in rows) / n, 3),
        "without_retrieval": round(sum(r["plain"]["right"] for r in rows) / n, 3),
    }


def many_files(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note-{i:04d}.md").write_text(
            f"# Note {i}\n\nItem {i} of the inventory is a crate of {i * 7 % 97} lanterns, "
            f"stored on shelf {i % 31} of the north barn.\n", encoding="utf-8")


def time_many(base: Path, model: str, threads: int, n: int) -> dict[str, Any]:
    folder = base / "many"
    many_files(folder, n)
    data = base / "many-data"
    return build_kb(data, folder, model, threads)


def run(model: str | None, workers: int, threads: int, max_tokens: int, seed: int,
        index_files: int, out: Path | None) -> int:
    from hive_tui.config import load_settings

    embed_model = model or str(find_embedding_model())
    with tempfile.TemporaryDirectory(prefix="hive-bench-rag-") as tmp:
        base = Path(tmp)
        data_dir = base / "data"
        report: dict[str, Any] = {"embedding_model": Path(embed_model).name}
        report["index"] = build_kb(data_dir, base / "corpus", embed_model, threads) if \
            write_corpus(base / "corpus") else {}
        report.update(recall(data_dir))
        print(f"indexed {report['index']}; {report['recall@1']=} {report['recall@3']=}",
              file=sys.stderr)
        settings = load_settings({"data_dir": str(data_dir), "workers": workers,
                                  "threads": threads, "federation": False})
        report.update(asyncio.run(ask_all(settings, workers, max_tokens, seed)))
        if index_files:
            report["many_files"] = time_many(base, embed_model, threads, index_files)
    rows = report.pop("rows")
    print(json.dumps(report, indent=2))
    if out is not None:
        out.write_text(json.dumps({**report, "rows": rows}, indent=2), encoding="utf-8")
    return 0
