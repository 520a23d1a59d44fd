"""A small draft model for speculative decoding: a second llama.cpp context that proposes k
tokens greedily. It must share the target's vocabulary (same tokenizer family).

Between calls it keeps its KV cache of the tokens it has seen; each call keeps the longest
common prefix with the target's text, drops the rest and feeds only what is new.
"""

from __future__ import annotations

import llama_cpp
import numpy as np


class DraftModel:
    def __init__(self, path: str, n_ctx: int, n_threads: int) -> None:
        self._llm = llama_cpp.Llama(
            model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
            n_gpu_layers=0, verbose=False,
        )
        self._ctx = self._llm._ctx.ctx
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self._n_vocab = self._llm.n_vocab()
        self._n_batch = self._llm.n_batch
        self._seen: list[int] = []  # tokens whose cells the draft context holds
        self._batch = llama_cpp.llama_batch_init(self._n_batch, 0, 1)

    def draft(self, tokens: list[int], n_max: int) -> list[int]:
        common = 0
        limit = min(len(self._seen), len(tokens) - 1)  # the last token is always fed again
        while common < limit and self._seen[common] == tokens[common]:
            common += 1
        llama_cpp.llama_memory_seq_rm(self._mem, 0, common, -1)
        self._seen = list(tokens[:common])
        n_ctx = self._llm.n_ctx()
        n_max = min(n_max, n_ctx - len(tokens) - 1)
        if n_max <= 0:
            return []
        row = self._feed(tokens[common:])
        out: list[int] = []
        while True:
            token = int(row.argmax())
            out.append(token)
            if len(out) >= n_max or llama_cpp.llama_vocab_is_eog(self._llm._model.vocab, token):
                return out
            row = self._feed([token])

    def _feed(self, tokens: list[int]) -> np.ndarray:
        batch = self._batch
        for start in range(0, len(tokens), self._n_batch):
            chunk = tokens[start:start + self._n_batch]
            pos = len(self._seen)
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = pos + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = i == len(chunk) - 1
            batch.n_tokens = len(chunk)
            code = llama_cpp.llama_decode(self._ctx, batch)
            if code != 0:
                raise RuntimeError(f"draft llama_decode failed with code {code}")
            self._seen.extend(chunk)
        ptr = llama_cpp.llama_get_logits_ith(self._ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))
