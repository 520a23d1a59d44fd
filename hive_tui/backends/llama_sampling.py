"""The batched engine's sampling side: one llama.cpp sampler chain per slot, the
log-probabilities of the tokens a decode step chose (reduced on a helper thread), and each
token's bytes."""

from __future__ import annotations

import ctypes
from concurrent.futures import Future

import llama_cpp
import numpy as np

from hive_tui import wire


def step_logprobs(rows: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """log p(chosen token) per row of logits, one log-sum-exp each, in place in ``rows``."""
    top = rows.max(axis=1)
    picked = rows[np.arange(len(chosen)), chosen]
    np.subtract(rows, top[:, None], out=rows)
    np.exp(rows, out=rows)
    logprobs: np.ndarray = picked - top - np.log(rows.sum(axis=1))
    return logprobs


def per_token(parts: list[tuple[Future[np.ndarray], int]]) -> list[float]:
    return [float(future.result()[k]) for future, k in parts]


def sampler_chain(params: wire.SamplingParams, vocab: int | None = None) -> int:
    """A slot's sampler chain; with ``params.grammar`` (and the model's ``vocab``) the grammar
    comes first, so every token drawn follows it (the chain accepts each token it samples,
    which advances the grammar's state)."""
    chain: int = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    if params.grammar is not None:
        grammar = llama_cpp.llama_sampler_init_grammar(vocab, params.grammar.encode(), b"root")
        if not grammar:
            llama_cpp.llama_sampler_free(chain)
            raise ValueError("response_format: llama.cpp could not parse the grammar")
        llama_cpp.llama_sampler_chain_add(chain, grammar)
    if params.temperature <= 0:
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain
    # The order llama-cpp-python's own sampler uses: truncate, then temperature, then draw.
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_k(params.top_k))
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
    if params.min_p > 0:
        min_p = llama_cpp.llama_sampler_init_min_p(params.min_p, 1)
        llama_cpp.llama_sampler_chain_add(chain, min_p)
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_temp(params.temperature))
    llama_cpp.llama_sampler_chain_add(
        chain, llama_cpp.llama_sampler_init_dist(params.seed & 0xFFFFFFFF)
    )
    return chain


class TokenPieces:
    """Each token's bytes (its piece of text), asked of llama.cpp once and kept."""

    def __init__(self, vocab: llama_cpp.llama_vocab_p) -> None:
        self._vocab = vocab
        self._buffer = ctypes.create_string_buffer(64)
        self._known: dict[int, bytes] = {}

    def __call__(self, token: int) -> bytes:
        if (known := self._known.get(token)) is not None:
            return known
        size = len(self._buffer)
        n = llama_cpp.llama_token_to_piece(self._vocab, token, self._buffer, size, 0, False)
        if n < 0:  # a piece longer than the buffer: grow it once and ask again
            self._buffer = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, self._buffer, -n, 0, False)
        piece = self._known[token] = self._buffer.raw[:n]
        return piece
