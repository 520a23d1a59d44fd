"""Entry point of an embedding child: ``python -m hive_tui.retrieval.embed_child``.

Like a worker child (``hive_tui.backends.child``): frames in on stdin, out on stdout, and the
real stdout kept aside so that a native library's printf cannot corrupt the frame stream. One
``EmbedLoad``, then any number of ``EmbedTexts`` each answered by ``EmbedVectors``. A crash in
llama.cpp kills this process, not the node or the indexer that started it.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any, BinaryIO

import numpy as np

from hive_tui import wire


def _load(spec: wire.EmbedLoad) -> Any:
    import llama_cpp

    # Mean pooling: a chat model's GGUF (the embedded SmolLM2) names no pooling of its own,
    # and the mean of the token vectors is the usual sentence vector for such a model.
    return llama_cpp.Llama(
        spec.model_path,
        embedding=True,
        n_threads=spec.n_threads,
        n_threads_batch=spec.n_threads,
        n_ctx=spec.n_ctx,
        n_batch=spec.n_ctx,
        n_ubatch=spec.n_ctx,
        pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
        verbose=False,
    )


def _embed(model: Any, texts: list[str]) -> wire.EmbedVectors | wire.EmbedRefused:
    started = time.perf_counter()
    counts = [len(model.tokenize(t.encode())) for t in texts]
    # A text the tokenizer reads as no tokens at all (SmolLM2 drops U+0004, U+0006, U+0013,
    # U+0014, U+0016 and U+001D, and adds no BOS) must never reach Llama.embed: its sequence
    # gets no embedding, llama_get_embeddings_seq returns NULL, and slicing that pointer
    # leaves a pending ValueError under numpy (a SystemError) and a corrupted heap behind.
    if 0 in counts:
        reason = "it has no tokens for the embedding model (its tokenizer drops every character)"
        return wire.EmbedRefused(counts.index(0), reason)
    tokens = sum(min(n, model.n_batch) for n in counts)
    # One call for the whole batch: llama.cpp packs the texts into shared decode batches.
    # truncate cuts a text at the batch size; the keyword index still holds all of it.
    rows = np.asarray(model.embed(texts, normalize=True, truncate=True), dtype=np.float32)
    vectors = [row.astype("<f4").tobytes() for row in rows.reshape(len(texts), -1)]
    return wire.EmbedVectors(vectors, tokens, time.perf_counter() - started)


def serve(stdin: BinaryIO, out: BinaryIO) -> None:
    def send(msg: wire.EmbedFrame) -> None:
        out.write(wire.frame(msg))
        out.flush()

    body = wire.read_frame_blocking(stdin)
    if body is None:
        return
    spec = wire.decode_embed_frame(body)
    if not isinstance(spec, wire.EmbedLoad):
        send(wire.EmbedError(f"expected embed_load, got {type(spec).__name__}", fatal=True))
        return
    started = time.perf_counter()
    model = _load(spec)
    ready = wire.EmbedReady(
        os.path.basename(spec.model_path), int(model.n_embd()), os.getpid(),
        time.perf_counter() - started,
    )
    send(ready)
    while (body := wire.read_frame_blocking(stdin)) is not None:
        match wire.decode_embed_frame(body):
            case wire.EmbedTexts(texts=texts):
                try:
                    send(_embed(model, texts) if texts else wire.EmbedVectors([], 0, 0.0))
                except Exception as exc:  # one bad batch must not end the child
                    traceback.print_exc(file=sys.stderr)
                    send(wire.EmbedError(f"{type(exc).__name__}: {exc}"))
            case other:
                send(wire.EmbedError(f"unexpected frame {type(other).__name__}"))


def main() -> int:
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin.buffer, frames_out)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        frames_out.write(wire.frame(wire.EmbedError(f"{type(exc).__name__}: {exc}", fatal=True)))
        frames_out.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
