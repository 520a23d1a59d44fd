"""Files into a knowledge base: walk, hash, chunk, embed, store; unchanged files skipped.

A file is keyed by its resolved path and remembered by the SHA-256 of its bytes: a re-index
reads and hashes every file (fast) but chunks and embeds only the new and changed ones, and
removes what was indexed under the given folders and is gone from the disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hive_tui.retrieval.chunking import Chunk, chunk_file, indexable
from hive_tui.retrieval.embedder import Embedder, LazyEmbedder
from hive_tui.retrieval.store import Store

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv"})

# (files done, files in all, path): called after each file
Progress = Callable[[int, int, str], None]


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)  # new or changed
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    errors: list[str] = field(default_factory=list)


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    for root in paths:
        if root.is_file():
            yield root.resolve()
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                path = Path(folder, name)
                if not name.startswith(".") and indexable(path):
                    yield path.resolve()


def _under(path: str, roots: list[Path]) -> bool:
    return any(Path(path).is_relative_to(root) for root in roots)


def index_paths(
    store: Store,
    paths: Iterable[Path],
    embed: Embedder | LazyEmbedder | Callable[[list[str]], object],
    progress: Progress | None = None,
) -> IndexReport:
    roots = [Path(p).resolve() for p in paths]
    missing = [str(r) for r in roots if not r.exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    files = list(dict.fromkeys(walk(roots)))
    known = store.file_hashes()
    report = IndexReport()
    embed_texts = embed.embed if isinstance(embed, Embedder | LazyEmbedder) else embed
    for done, path in enumerate(files, start=1):
        key = str(path)
        try:
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if known.get(key) == digest:
                report.unchanged += 1
            else:
                chunks: list[Chunk] = chunk_file(path, key)
                vectors = embed_texts([c.text for c in chunks])
                store.put_file(key, digest, chunks, vectors)  # type: ignore[arg-type]
                report.added.append(key)
                report.chunks += len(chunks)
        except Exception as exc:  # one unreadable file (a broken PDF) must not stop the rest
            if type(exc).__name__ == "EmbedderFailed":
                raise
            report.errors.append(f"{key}: {type(exc).__name__}: {exc}")
        if progress is not None:
            progress(done, len(files), key)
    seen = {str(p) for p in files}
    for key in known:
        if key not in seen and _under(key, roots) and not Path(key).exists():
            store.remove_file(key)
            report.removed.append(key)
    return report
