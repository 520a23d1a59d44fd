"""llama.cpp with K sequence slots over one copy of the weights (runs inside a worker child).

One model, one context with ``n_seq_max`` = K and a unified KV cache. Every decode step feeds
one token per generating slot in a single ``llama_decode``, so the weights are read once per
step for all K sequences instead of once per sequence: that is where the speed comes from.

* The prompt is evaluated once for every slot that asks the same thing in the same batch: its
  tokens carry all those slots' sequence ids, so the unified cache holds it once. A request
  that arrives later with a prompt a running slot already holds gets those cells through
  ``llama_memory_seq_cp`` and only its last prompt token is evaluated again (for its logits).
* Each slot has its own sampler chain (top-k, top-p, temperature, its own seed; greedy at
  temperature 0), its own stop strings, token budget and cancel flag.
* The log-probability of each chosen token comes from the logits row it was sampled from:
  one log-sum-exp per token, nothing per vocabulary entry in Python.

Every batch starts from an empty cache (as ``LlamaEngine`` does per request), so a request's
answer does not depend on what ran before it.
"""

from __future__ import annotations

import codecs
import ctypes
import os
import time
from dataclasses import dataclass, field

import numpy as np

from hive_tui import wire
from hive_tui.backends.engine import BackendUnavailable, BatchHost, EmitText, IsCancelled
from hive_tui.backends.stops import StopScanner

try:
    import llama_cpp
    from llama_cpp import _logger as llama_logger
    from llama_cpp._internals import LlamaModel

    from hive_tui.backends.llama_engine import chat_formatter
except ImportError as exc:  # pragma: no cover - exercised only without the dependency
    raise BackendUnavailable(f"llama-cpp-python is not installed: {exc}") from exc

# 32 slots in one CUDA context crashed llama.cpp (illegal instruction) where 16 ran; the
# planner splits larger swarms into several processes, and the engine refuses to go beyond.
MAX_SLOTS = 16
N_BATCH = 512


@dataclass
class _Slot:
    request: wire.Generate
    seq: int
    sampler: int  # llama_sampler pointer
    prompt: list[int]
    budget: int
    started: float
    pos: int = 0  # position of the next token fed to this sequence
    out: int = -1  # batch index whose logits this slot samples next; -1: nothing to sample yet
    feed: int | None = None  # the token sampled last, fed in the next step
    generated: int = 0
    logprob_sum: float = 0.0
    ttft: float = 0.0
    scanner: StopScanner = field(default_factory=lambda: StopScanner([]))
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )


@dataclass
class _PromptJob:
    """Prompt tokens still to evaluate, shared by the slots whose sequences they belong to."""

    tokens: list[int]
    start_pos: int
    slots: list[_Slot]
    done: int = 0  # tokens already fed


class BatchedLlamaEngine:
    name = "llama"

    def __init__(self) -> None:
        self._model: LlamaModel | None = None
        self._ctx = None
        self._batch: llama_cpp.llama_batch | None = None
        self.slots = 1
        self._n_ctx_seq = 0
        self._piece = ctypes.create_string_buffer(64)

    # ------------------------------------------------------------------ set-up

    def load(self, spec: wire.Load) -> wire.Ready:
        if not 1 <= spec.slots <= MAX_SLOTS:
            raise ValueError(f"slots must be 1..{MAX_SLOTS}, got {spec.slots}")
        llama_logger.set_verbose(False)
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = spec.n_gpu_layers
        self._model = model = LlamaModel(path_model=spec.model_path, params=params, verbose=False)
        self._formatter = chat_formatter(model.metadata(), model)
        self.slots = spec.slots
        self._n_ctx_seq = spec.n_ctx
        cp = llama_cpp.llama_context_default_params()
        # Room for every slot's own context length; a shared prompt only makes it roomier.
        cp.n_ctx = spec.n_ctx * spec.slots
        cp.n_batch = cp.n_ubatch = N_BATCH
        cp.n_seq_max = spec.slots
        cp.kv_unified = True
        cp.n_threads = cp.n_threads_batch = spec.n_threads
        self._ctx = llama_cpp.llama_init_from_model(model.model, cp)
        if not self._ctx:
            raise RuntimeError("llama.cpp could not create the batched context")
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self._vocab = model.vocab
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._batch = llama_cpp.llama_batch_init(N_BATCH, 0, spec.slots)
        return wire.Ready(
            backend=self.name,
            model=os.path.basename(spec.model_path),
            n_ctx=spec.n_ctx,
            slots=spec.slots,
            pid=os.getpid(),
            load_s=0.0,
        )

    def prompt_tokens(self, messages: list[wire.ChatMessage]) -> list[int]:
        assert self._model is not None
        formatted = self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        # The template writes the BOS token itself when the model wants one.
        return self._model.tokenize(formatted.prompt.encode("utf-8"), add_bos=False, special=True)

    # ------------------------------------------------------------------ one request

    def generate(self, request: wire.Generate, emit: EmitText, cancelled: IsCancelled) -> wire.Done:
        """The one-request path of the Engine interface, through the same batched loop."""
        host = _SingleHost(emit, cancelled)
        self.run_batch([request], host)
        if host.error is not None:
            raise RuntimeError(host.error)
        assert host.result is not None
        return host.result

    # ------------------------------------------------------------------ the batch loop

    def run_batch(self, requests: list[wire.Generate], host: BatchHost) -> None:
        assert self._ctx is not None and self._batch is not None
        llama_cpp.llama_memory_clear(self._mem, True)
        free_seqs = list(range(self.slots - 1, -1, -1))
        active: list[_Slot] = []
        jobs: list[_PromptJob] = []
        try:
            self._admit(requests, active, jobs, free_seqs, host)
            while active:
                for slot in [s for s in active if host.cancelled(s.request)]:
                    self._finish(slot, "cancelled", active, jobs, free_seqs, host)
                if not active:
                    break
                self._decode_step(active, jobs)
                for slot in [s for s in active if s.out >= 0]:
                    self._sample(slot, active, jobs, free_seqs, host)
                if free_seqs:
                    self._admit(host.admit(len(free_seqs)), active, jobs, free_seqs, host)
        finally:
            for slot in active:
                llama_cpp.llama_sampler_free(slot.sampler)

    def _admit(
        self,
        requests: list[wire.Generate],
        active: list[_Slot],
        jobs: list[_PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        for request in requests:
            prompt = self.prompt_tokens(request.messages)
            room = self._n_ctx_seq - len(prompt)
            if room < 1 or not prompt:
                host.failed(request, f"prompt of {len(prompt)} tokens does not fit the "
                                     f"context of {self._n_ctx_seq}")
                continue
            slot = _Slot(
                request=request,
                seq=free_seqs.pop(),
                sampler=_sampler(request.params),
                prompt=prompt,
                budget=min(request.params.max_tokens, room),
                started=time.perf_counter(),
                pos=len(prompt),
                scanner=StopScanner(list(request.params.stop)),
            )
            active.append(slot)
            self._attach_prompt(slot, active, jobs)

    def _attach_prompt(self, slot: _Slot, active: list[_Slot], jobs: list[_PromptJob]) -> None:
        """Share the prompt's cache cells with any slot that holds or awaits the same prompt."""
        for job in jobs:
            if job.done == 0 and job.start_pos == 0 and job.tokens == slot.prompt:
                job.slots.append(slot)
                return
        pending = {id(s) for job in jobs for s in job.slots}
        for other in active:
            if other is not slot and other.prompt == slot.prompt and id(other) not in pending:
                last = len(slot.prompt) - 1
                llama_cpp.llama_memory_seq_cp(self._mem, other.seq, slot.seq, 0, last)
                jobs.append(_PromptJob(slot.prompt[last:], last, [slot]))
                return
        jobs.append(_PromptJob(list(slot.prompt), 0, [slot]))

    def _decode_step(self, active: list[_Slot], jobs: list[_PromptJob]) -> None:
        batch = self._batch
        assert batch is not None
        batch.n_tokens = 0
        for slot in active:
            if slot.feed is not None:
                slot.out = self._add(slot.feed, slot.pos - 1, (slot.seq,), True)
                slot.feed = None
            else:
                slot.out = -1
        for job in list(jobs):
            take = min(len(job.tokens) - job.done, N_BATCH - batch.n_tokens)
            if take <= 0:
                break
            seqs = tuple(s.seq for s in job.slots)
            for k in range(job.done, job.done + take):
                last = k == len(job.tokens) - 1
                index = self._add(job.tokens[k], job.start_pos + k, seqs, last)
                if last:
                    for s in job.slots:
                        s.out = index
            job.done += take
            if job.done == len(job.tokens):
                jobs.remove(job)
        code = llama_cpp.llama_decode(self._ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode failed with code {code} ({batch.n_tokens} tokens)")

    def _add(self, token: int, pos: int, seqs: tuple[int, ...], logits: bool) -> int:
        batch = self._batch
        assert batch is not None
        i = batch.n_tokens
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = len(seqs)
        for j, seq in enumerate(seqs):
            batch.seq_id[i][j] = seq
        batch.logits[i] = logits
        batch.n_tokens = i + 1
        return i

    def _sample(
        self,
        slot: _Slot,
        active: list[_Slot],
        jobs: list[_PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        token = llama_cpp.llama_sampler_sample(slot.sampler, self._ctx, slot.out)
        if llama_cpp.llama_vocab_is_eog(self._vocab, token):
            self._finish(slot, "stop", active, jobs, free_seqs, host)
            return
        slot.logprob_sum += self._logprob(slot.out, token)
        slot.generated += 1
        released = slot.scanner.feed(slot.decoder.decode(self._token_bytes(token)))
        if released:
            slot.ttft = slot.ttft or time.perf_counter() - slot.started
            host.token(slot.request, released)
        if slot.scanner.stopped:
            self._finish(slot, "stop", active, jobs, free_seqs, host)
        elif slot.generated >= slot.budget:
            self._finish(slot, "length", active, jobs, free_seqs, host)
        else:
            slot.feed = token
            slot.pos += 1

    def _finish(
        self,
        slot: _Slot,
        reason: str,
        active: list[_Slot],
        jobs: list[_PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        rest = slot.scanner.feed(slot.decoder.decode(b"", final=True)) + slot.scanner.flush()
        if rest:
            host.token(slot.request, rest)
        for job in list(jobs):
            if slot in job.slots:
                job.slots.remove(slot)
                if not job.slots:
                    jobs.remove(job)
        active.remove(slot)
        llama_cpp.llama_sampler_free(slot.sampler)
        # Drops this sequence's id from its cells; cells that other slots share stay.
        llama_cpp.llama_memory_seq_rm(self._mem, slot.seq, -1, -1)
        free_seqs.append(slot.seq)
        host.done(
            wire.Done(
                request_id=slot.request.request_id,
                text=slot.scanner.text,
                finish_reason=reason,
                prompt_tokens=len(slot.prompt),
                completion_tokens=slot.generated,
                ttft_s=slot.ttft,
                gen_s=time.perf_counter() - slot.started,
                mean_logprob=(slot.logprob_sum / slot.generated) if slot.generated else None,
                slot=slot.request.slot,
            )
        )

    def _logprob(self, index: int, token: int) -> float:
        """log p(token) from the logits row it was sampled from (one log-sum-exp)."""
        ptr = llama_cpp.llama_get_logits_ith(self._ctx, index)
        logits = np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))
        top = float(logits.max())
        return float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))

    def _token_bytes(self, token: int) -> bytes:
        n = llama_cpp.llama_token_to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        if n < 0:  # a piece longer than the buffer: grow it once and ask again
            self._piece = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, self._piece, -n, 0, False)
        return self._piece.raw[:n]


def _sampler(params: wire.SamplingParams) -> int:
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    if params.temperature <= 0:
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain
    # The order llama-cpp-python's own sampler uses: truncate, then temperature, then draw.
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_k(params.top_k))
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_temp(params.temperature))
    llama_cpp.llama_sampler_chain_add(
        chain, llama_cpp.llama_sampler_init_dist(params.seed & 0xFFFFFFFF)
    )
    return chain


class _SingleHost:
    """Adapts the one-request Engine call (emit, cancelled) to the batch loop's host."""

    def __init__(self, emit: EmitText, cancelled: IsCancelled) -> None:
        self._emit = emit
        self._cancelled = cancelled
        self.result: wire.Done | None = None
        self.error: str | None = None

    def token(self, request: wire.Generate, text: str) -> None:
        self._emit(text)

    def done(self, done: wire.Done) -> None:
        self.result = done

    def failed(self, request: wire.Generate, message: str) -> None:
        self.error = message

    def cancelled(self, request: wire.Generate) -> bool:
        return self._cancelled()

    def admit(self, free: int) -> list[wire.Generate]:
        return []
