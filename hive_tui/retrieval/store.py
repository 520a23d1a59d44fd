"""One knowledge base: one SQLite file of passages, their vectors and an FTS5 keyword index.

Vectors are float32 blobs in the ``chunks`` table, the layout ``sqlite-vec`` reads: where the
Python build can load extensions, k-NN runs in SQL with ``vec_distance_cosine``; where it
cannot (Python builds without ``enable_load_extension``, as pyenv's default), the same exact
k-NN runs in numpy over the blobs, which for a knowledge base of some thousands of passages
takes milliseconds. Files are remembered by content hash so re-indexing skips what is
unchanged.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hive_tui.retrieval.chunking import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks (path);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (text, tokenize = 'porter unicode61');
"""
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words too common to say anything about a passage, kept out of the keyword query.
_STOPWORDS_TEXT = (
    "a an and are as at be by did do does for from has have how in is it its of on or the "
    "that this to was were what when where which who whom whose why with you your"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    path: str
    start_line: int
    end_line: int
    text: str
    score: float


def _load_sqlite_vec(db: sqlite3.Connection) -> bool:
    try:
        import sqlite_vec  # type: ignore[import-untyped]

        db.enable_load_extension(True)
        sqlite_vec.load(db)
        db.enable_load_extension(False)
        return True
    except (ImportError, AttributeError, sqlite3.Error):
        return False


def keyword_query(text: str) -> str:
    """An FTS5 query matching any content word of ``text`` (quoted: no FTS5 syntax leaks)."""
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in dict.fromkeys(words) if w not in STOPWORDS] or list(dict.fromkeys(words))
    return " OR ".join(f'"{w}"' for w in kept[:32])


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.vec_in_sql = _load_sqlite_vec(self.db)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ meta and files

    def get_meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def file_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, sha256 FROM files").fetchall())

    def remove_file(self, path: str) -> None:
        with self.db:
            self._remove(path)

    def _remove(self, path: str) -> None:
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE path = ?", (path,))]
        self.db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
        self.db.execute("DELETE FROM chunks WHERE path = ?", (path,))
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))

    def put_file(self, path: str, sha256: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Replace what is stored for ``path`` with these chunks, in one transaction."""
        with self.db:
            self._remove(path)
            for chunk, vector in zip(chunks, vectors, strict=True):
                cur = self.db.execute(
                    "INSERT INTO chunks (path, start_line, end_line, text, vector) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (path, chunk.start_line, chunk.end_line, chunk.text,
                     np.asarray(vector, dtype="<f4").tobytes()),
                )
                self.db.execute(
                    "INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)",
                    (cur.lastrowid, chunk.text),
                )
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?)", (path, sha256))

    def counts(self) -> tuple[int, int]:
        files = self.db.execute("SELECT count(*) FROM files").fetchone()[0]
        chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(files), int(chunks)

    # ------------------------------------------------------------------ search

    def _hits(self, rows: Iterable[tuple[int, str, int, int, str, float]]) -> list[Hit]:
        return [Hit(*row) for row in rows]

    def vector_search(self, query: np.ndarray, k: int) -> list[Hit]:
        """The k passages nearest ``query`` by cosine (rows are normalised: dot product)."""
        q = np.asarray(query, dtype="<f4")
        if self.vec_in_sql:
            rows = self.db.execute(
                "SELECT id, path, start_line, end_line, text, "
                "1 - vec_distance_cosine(vector, ?) AS s FROM chunks ORDER BY s DESC LIMIT ?",
                (q.tobytes(), k),
            ).fetchall()
            return self._hits(rows)
        rows = self.db.execute("SELECT id, vector FROM chunks").fetchall()
        if not rows:
            return []
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1)
        scores = matrix @ q
        best = np.argsort(-scores)[:k]
        return [self._chunk(rows[i][0], float(scores[i])) for i in best]

    def keyword_search(self, text: str, k: int) -> list[Hit]:
        """The k best passages by FTS5's bm25 (score: minus bm25, higher is better)."""
        query = keyword_query(text)
        if not query:
            return []
        rows = self.db.execute(
            "SELECT c.id, c.path, c.start_line, c.end_line, c.text, -bm25(chunks_fts) "
            "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?",
            (query, k),
        ).fetchall()
        return self._hits(rows)

    def _chunk(self, chunk_id: int, score: float) -> Hit:
        row = self.db.execute(
            "SELECT id, path, start_line, end_line, text FROM chunks WHERE id = ?", (chunk_id,)
        ).fetchone()
        chunk, path, start, end, text = row
        return Hit(chunk, path, start, end, text, score)
