"""Texts to vectors with a GGUF model run by llama.cpp in a child process (``embed_child``).

The child isolates llama.cpp's crashes from the node and the indexer, as the workers do. The
client here is blocking (the indexer is a plain loop; the node calls it in a thread). Which
model: the one named (``--embedding-model``), else the first GGUF of ``hive models`` whose
architecture is an embedding one (BERT family), else the embedded chat model, mean-pooled.
A knowledge base records the model it was built with, and is always searched with that one.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hive_tui import wire
from hive_tui.errors import HiveError

# Architectures whose GGUFs are sentence-embedding models (llama.cpp's names).
EMBEDDING_ARCHITECTURES = frozenset(
    {"bert", "nomic-bert", "jina-bert-v2", "xlm-roberta", "modern-bert", "nomic-bert-moe"}
)
BATCH_TEXTS = 32  # texts per request to the child: progress stays live, frames stay small


class EmbedderFailed(HiveError):
    """The embedding child died, refused its model, or answered out of protocol."""


class EmbedInputRefused(HiveError):
    """A text the model cannot embed (the caller's input); the child stays up and usable."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"input[{index}]: {reason}")
        self.index, self.reason = index, reason


def find_embedding_model(models_dir: str | Path | None = None) -> Path:
    """A proper embedding GGUF from the catalogue of ``hive models``, else the embedded model."""
    from hive_tui.embedded_model import embedded_model_path
    from hive_tui.models.catalog import build_catalog

    catalog = build_catalog(models_dir, include_embedded=False)
    for model in catalog.models:
        if (model.architecture or "") in EMBEDDING_ARCHITECTURES:
            return Path(model.path)
    return embedded_model_path()


def is_embedding_model(path: str | Path) -> bool:
    """Whether the GGUF is a sentence-embedding model (not a chat model, mean-pooled)."""
    from hive_tui.models.gguf_meta import describe_gguf

    try:
        architecture = describe_gguf(Path(path), source="kb").architecture
    except Exception:  # unreadable header: treat it as the weaker kind
        return False
    return (architecture or "") in EMBEDDING_ARCHITECTURES


class Embedder:
    """One embedding child; ``embed`` sends texts in batches and returns float32 rows."""

    def __init__(self, model_path: str | Path, n_threads: int = 1, n_ctx: int = 512) -> None:
        self.model_path = str(model_path)
        self._lock = threading.Lock()  # one request in flight: the node may call from threads
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "hive_tui.retrieval.embed_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if os.environ.get("HIVE_EMBED_QUIET", "1") == "1" else None,
        )
        self._send(wire.EmbedLoad(self.model_path, n_threads, n_ctx))
        match self._read():
            case wire.EmbedReady() as ready:
                self.ready = ready
            case other:
                self.close()
                raise EmbedderFailed(f"embedding model did not load: {other}")
        self.dim = self.ready.dim
        self.tokens = 0  # tokens embedded so far, and the seconds it took (hive bench rag)
        self.seconds = 0.0

    def _send(self, msg: wire.EmbedFrame) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(wire.frame(msg))
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise EmbedderFailed(f"embedding child gone: {exc}") from exc

    def _read(self) -> wire.EmbedFrame:
        assert self._proc.stdout is not None
        body = wire.read_frame_blocking(self._proc.stdout)
        if body is None:
            raise EmbedderFailed(f"embedding child exited ({self._proc.wait()})")
        return wire.decode_embed_frame(body)

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    @property
    def exit_code(self) -> int | None:
        """None while it runs; negative: the signal that ended it."""
        return self._proc.poll()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) float32 array of L2-normalised rows, one per text. ``EmbedInputRefused``
        names a text that cannot be embedded (nothing is embedded then)."""
        for index, text in enumerate(texts):
            if not text.isascii():
                try:
                    text.encode()
                except UnicodeEncodeError:  # a lone surrogate: not UTF-8, so not a frame
                    raise EmbedInputRefused(index, "it is not valid Unicode") from None
        rows: list[bytes] = []
        with self._lock:
            for start in range(0, len(texts), BATCH_TEXTS):
                self._send(wire.EmbedTexts(list(texts[start : start + BATCH_TEXTS])))
                match self._read():
                    case wire.EmbedVectors(vectors=vectors, tokens=tokens, seconds=seconds):
                        rows += vectors
                        self.tokens += tokens
                        self.seconds += seconds
                    case wire.EmbedRefused(index=index, reason=reason):
                        raise EmbedInputRefused(start + index, reason)
                    case wire.EmbedError(message=message):
                        raise EmbedderFailed(message)
                    case other:
                        raise EmbedderFailed(f"unexpected frame {type(other).__name__}")
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.frombuffer(b"".join(rows), dtype="<f4").reshape(len(rows), self.dim)

    def close(self) -> None:
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Embedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LazyEmbedder:
    """An ``Embedder`` started on the first text: a re-index of unchanged files starts none."""

    def __init__(self, model_path: str | Path, n_threads: int = 1) -> None:
        self.model_path = str(model_path)
        self.n_threads = n_threads
        self._embedder: Embedder | None = None

    @property
    def tokens(self) -> int:
        return self._embedder.tokens if self._embedder else 0

    @property
    def seconds(self) -> float:
        return self._embedder.seconds if self._embedder else 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._embedder is None:
            self._embedder = Embedder(self.model_path, self.n_threads)
        return self._embedder.embed(texts)

    def close(self) -> None:
        if self._embedder is not None:
            self._embedder.close()

    def __enter__(self) -> LazyEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
