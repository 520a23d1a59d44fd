"""The node's one embedding child, for the API's embeddings routes (``/v1/embeddings``,
``/api/embed``): the retrieval package's ``Embedder``, started on the first request (most
nodes are never asked for a vector, and a child holds a copy of its model), one request at
a time, closed when the node stops.

Which model: the ``embedding_model`` setting when set; else an embedding GGUF from the
catalogue (``find_embedding_model``); else the node's own chat model when it is a llama.cpp
GGUF ("the loaded model's embeddings"); else the embedded SmolLM2, mean-pooled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hive_tui.retrieval.embedder import Embedder, EmbedderFailed, find_embedding_model

log = logging.getLogger("hive.embeddings")


def default_embedding_model(models_dir: str, chat_model: str | None) -> Path:
    """An embedding GGUF of the catalogue, else ``chat_model`` (a GGUF), else the embedded one."""
    from hive_tui.embedded_model import embedded_model_path

    found = find_embedding_model(models_dir or None)
    if found == embedded_model_path() and chat_model and chat_model.endswith(".gguf"):
        return Path(chat_model)
    return found


class NodeEmbeddings:
    """``embed`` runs the blocking ``Embedder`` in a thread, behind one ``asyncio.Lock``."""

    def __init__(
        self, model: str = "", models_dir: str = "", chat_model: str | None = None,
        n_threads: int = 1,
    ) -> None:  # fmt: skip
        self._model, self._models_dir, self._chat_model = model, models_dir, chat_model
        self.n_threads = n_threads
        self._embedder: Embedder | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def model_name(self) -> str:
        """The GGUF's file name once started (the setting's until then)."""
        return Path(self._embedder.model_path if self._embedder else self._model or "hive").name

    def _start(self) -> Embedder:
        path = self._model or str(default_embedding_model(self._models_dir, self._chat_model))
        log.info("starting the embedding child on %s (%d thread(s))", path, self.n_threads)
        return Embedder(path, self.n_threads)

    async def dimension(self) -> int:
        """The model's vector length (starts the child if it is not running)."""
        async with self._lock:
            return (await self._started()).dim

    async def _started(self) -> Embedder:
        if self._closed:
            raise EmbedderFailed("the node is stopping")
        if self._embedder is not None and not self._embedder.alive:
            # It died between requests (killed, out of memory): this request starts a new one.
            dead, self._embedder = self._embedder, None
            log.warning("the embedding child exited; starting a new one")
            await asyncio.to_thread(dead.close)
        if self._embedder is None:
            self._embedder = await asyncio.to_thread(self._start)
        return self._embedder

    async def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """(an (n, dim) float32 array of L2-normalised rows, the tokens embedded). A child
        that failed is dropped, so the next request starts a fresh one; a refused text
        (``EmbedInputRefused``) leaves the child as it was."""
        async with self._lock:
            for retry in (False, True):
                embedder = await self._started()
                before = embedder.tokens
                try:
                    rows = await asyncio.to_thread(embedder.embed, list(texts))
                except EmbedderFailed:
                    self._embedder = None
                    await asyncio.to_thread(embedder.close)
                    # A child that died (killed, out of memory) may have been dying before this
                    # request came: a killed process still looks alive while its threads exit.
                    # One fresh child, one more try; an error answer (exit 0 once closed) is
                    # not retried.
                    if retry or embedder.exit_code == 0:
                        raise
                    log.warning("the embedding child died; starting a new one for this request")
                    continue
                return rows, embedder.tokens - before
            raise AssertionError("unreachable: the second try returns or raises")

    async def close(self) -> None:
        self._closed = True
        async with self._lock:
            if self._embedder is not None:
                embedder, self._embedder = self._embedder, None
                await asyncio.to_thread(embedder.close)
