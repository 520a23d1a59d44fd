"""llama.cpp with K sequence slots over one copy of the weights (runs inside a worker child).

One model, one context with ``n_seq_max`` = K. Every decode step feeds one token per
generating slot in a single ``llama_decode``, so the weights are read once per step for all K
sequences instead of once per sequence: that is where the speed comes from.

* The KV cache is split per sequence (``kv_unified`` off): each slot attends over its own
  cells only, laid out exactly as if it ran alone. With per-row CPU kernels that makes a
  slot's greedy answer the same text as the sequence run alone (tested), and it spares
  every slot the masked attention over the others' cells.
* The prompt is evaluated once, for the first slot of the slots that asked the same thing
  together; ``llama_memory_seq_cp`` then copies its cells to the others before they decode,
  and all of them sample their first token from that one logits row.
* Each slot has its own sampler chain (top-k, top-p, temperature, its own seed; greedy at
  temperature 0), its own stop strings, token budget and cancel flag.
* The log-probability of each chosen token comes from the logits row it was sampled from:
  one log-sum-exp per token, reduced on a helper thread while the next step decodes (ctypes
  and numpy both release the GIL), so on a GPU that arithmetic stays off the critical path.

* Drafting (``speculative = "lookup"``, ``batch_drafts``): a slot feeds up to ``draft_max``
  tokens proposed from its own text after its last one, in the same batch; the rows that
  held are kept and the cells of the rest removed, so a step can give a slot several tokens.

* Prefix cache: a sequence that finishes keeps its cells (its prompt and the tokens it fed),
  and the next prompt goes to the free sequence that already holds the longest prefix of it,
  so a conversation's next turn or a shared system prompt evaluates only the new tokens
  (``Done.cached_tokens`` says how many it did not). The reused cells were computed in
  another batch shape, so an answer is the same text as a cold run's only as far as
  llama.cpp's kernels give the same numbers for it (on the CPU they did, tested).
"""

from __future__ import annotations

import ctypes
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor

from hive_tui import wire
from hive_tui.backends.batch_drafts import Drafting
from hive_tui.backends.batch_slots import PromptJob, Slot, attach_prompt, leave_jobs
from hive_tui.backends.engine import (
    BackendUnavailable,
    BatchHost,
    EmitText,
    IsCancelled,
    SingleRequestHost,
)
from hive_tui.backends.ggml_rpc import attach_servers, tensor_split_array
from hive_tui.backends.llama_sampling import TokenPieces, sampler_chain, step_logprobs
from hive_tui.backends.prefix_cache import PrefixCache
from hive_tui.backends.stops import StopScanner

try:
    import llama_cpp
    from llama_cpp import _logger as llama_logger
    from llama_cpp._internals import LlamaModel

    from hive_tui.backends.llama_engine import chat_formatter, flash_attention_type, render_prompt
except ImportError as exc:  # pragma: no cover - exercised only without the dependency
    raise BackendUnavailable(f"llama-cpp-python is not installed: {exc}") from exc

# numpy only after llama_cpp: the other way round, loading a model onto the GPU crashed
# (SIGSEGV) with the CUDA build on the lent H200, where this order ran.
import numpy as np  # noqa: E402

# 32 slots in one CUDA context crashed llama.cpp (illegal instruction) where 16 ran; the
# planner splits larger swarms into several processes, and the engine refuses to go beyond.
MAX_SLOTS = 16
N_BATCH = 512


class BatchedLlamaEngine:
    name = "llama"
    # Set by load().
    _mem: llama_cpp.llama_memory_t
    _vocab: llama_cpp.llama_vocab_p
    _n_vocab: int
    _pieces: TokenPieces

    def __init__(self) -> None:
        self._model: LlamaModel | None = None
        self._ctx = None
        self._batch: llama_cpp.llama_batch | None = None
        self.slots = 1
        self._n_ctx_seq = 0
        self._reducer = ThreadPoolExecutor(1, thread_name_prefix="logprob")
        self._outputs: dict[int, int] = {}
        self._cache = PrefixCache(self._drop_cells)
        self._keep_cells = True
        self._draft_max = 0  # tokens a slot may draft per step; 0: no drafting
        self.decode_steps = 0  # llama_decode calls so far (what drafting saves; tests, bench)

    # ------------------------------------------------------------------ set-up

    def load(self, spec: wire.Load) -> wire.Ready:
        if not 1 <= spec.slots <= MAX_SLOTS:
            raise ValueError(f"slots must be 1..{MAX_SLOTS}, got {spec.slots}")
        if spec.speculative not in ("off", "lookup"):
            raise ValueError(f"speculative={spec.speculative} needs one-sequence workers "
                             "(--slots 1); the batched engine drafts with lookup only")
        self._draft_max = spec.draft_max if spec.speculative == "lookup" else 0
        llama_logger.set_verbose(False)
        llama_cpp.llama_backend_init()
        attach_servers(spec.rpc_servers)
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = spec.n_gpu_layers
        self._split = tensor_split_array(spec.tensor_split)  # llama.cpp reads it while loading
        if self._split is not None:
            params.tensor_split = ctypes.cast(self._split, ctypes.POINTER(ctypes.c_float))
        self._model = model = LlamaModel(path_model=spec.model_path, params=params, verbose=False)
        self._formatter = chat_formatter(model.metadata(), model)
        self.slots = spec.slots
        self._n_ctx_seq = spec.n_ctx
        self._keep_cells = spec.prompt_cache
        cp = llama_cpp.llama_context_default_params()
        cp.n_ctx = spec.n_ctx * spec.slots  # one stream of spec.n_ctx cells per slot
        cp.n_batch = cp.n_ubatch = N_BATCH
        cp.n_seq_max = spec.slots
        cp.kv_unified = False  # a KV stream per slot: see the module docstring
        cp.n_threads = cp.n_threads_batch = spec.n_threads
        cp.flash_attn_type = flash_attention_type(spec.n_gpu_layers)  # as LlamaEngine has it
        self._ctx = llama_cpp.llama_init_from_model(model.model, cp)
        if not self._ctx:
            raise RuntimeError("llama.cpp could not create the batched context")
        mem = llama_cpp.llama_get_memory(self._ctx)
        if mem is None:
            raise RuntimeError("llama.cpp gave the batched context no memory")
        self._mem = mem
        self._vocab = model.vocab
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._pieces = TokenPieces(self._vocab)
        self._batch = llama_cpp.llama_batch_init(N_BATCH, 0, spec.slots)
        return wire.Ready(
            backend=self.name,
            model=os.path.basename(spec.model_path),
            n_ctx=spec.n_ctx,
            slots=spec.slots,
            pid=os.getpid(),
            load_s=0.0,
        )

    def prompt_tokens(
        self, messages: list[wire.ChatMessage], tools: list[wire.ToolSpec] | None = None
    ) -> list[int]:
        assert self._model is not None
        prompt = render_prompt(self._formatter, messages, tools)
        # The template writes the BOS token itself when the model wants one.
        tokens: list[int] = self._model.tokenize(prompt.encode(), add_bos=False, special=True)
        return tokens

    # ------------------------------------------------------------------ one request

    def generate(self, request: wire.Generate, emit: EmitText, cancelled: IsCancelled) -> wire.Done:
        """The one-request path of the Engine interface, through the same batched loop."""
        host = SingleRequestHost(emit, cancelled)
        self.run_batch([request], host)
        if host.error is not None:
            raise RuntimeError(host.error)
        assert host.result is not None
        return host.result

    # ------------------------------------------------------------------ the batch loop

    def run_batch(self, requests: list[wire.Generate], host: BatchHost) -> None:
        assert self._ctx is not None and self._batch is not None
        free_seqs = list(range(self.slots - 1, -1, -1))
        active: list[Slot] = []
        jobs: list[PromptJob] = []
        try:
            self._admit(requests, active, jobs, free_seqs, host)
            while active:
                for slot in [s for s in active if host.cancelled(s.request)]:
                    self._finish(slot, "cancelled", active, jobs, free_seqs, host)
                if not active:
                    break
                self._decode_step(active, jobs)
                self._sample_all([s for s in active if s.out >= 0], active, jobs, free_seqs, host)
                if free_seqs:
                    self._admit(host.admit(len(free_seqs)), active, jobs, free_seqs, host)
        except BaseException:
            # A failed decode leaves cells nobody can vouch for: start the next batch cold.
            llama_cpp.llama_memory_clear(self._mem, True)
            self._cache.forget()
            raise
        finally:
            for slot in active:
                llama_cpp.llama_sampler_free(slot.sampler)

    def _admit(
        self,
        requests: list[wire.Generate],
        active: list[Slot],
        jobs: list[PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        for request in requests:
            prompt = self.prompt_tokens(request.messages, request.tools)
            room = self._n_ctx_seq - len(prompt)
            if room < 1 or not prompt:
                host.failed(request, f"prompt of {len(prompt)} tokens does not fit the "
                                     f"context of {self._n_ctx_seq}")
                continue
            slot = Slot(
                request=request,
                seq=-1,  # given by attach_prompt
                sampler=sampler_chain(request.params, self._vocab),
                prompt=prompt,
                budget=min(request.params.max_tokens, room),
                started=time.perf_counter(),
                # A grammar slot samples through its chain, which holds the grammar.
                greedy=request.params.temperature <= 0 and request.params.grammar is None,
                pos=len(prompt),
                scanner=StopScanner(list(request.params.stop)),
                drafting=(Drafting.for_request(request.params, self._draft_max)
                          if self._draft_max else None),
            )
            active.append(slot)
            attach_prompt(slot, jobs, free_seqs, self._cache)

    def _decode_step(self, active: list[Slot], jobs: list[PromptJob]) -> None:
        batch = self._batch
        assert batch is not None
        batch.n_tokens = 0
        self._outputs = {}
        # (seq, token, pos, slots reading this row's logits); added in order of seq below.
        rows: list[tuple[int, int, int, list[Slot]]] = []
        for slot in active:
            slot.out = -1
            if slot.feed is not None:
                rows.append((slot.seq, slot.feed, slot.pos - 1, [slot]))
                slot.fed.append(slot.feed)
                slot.feed = None
                if slot.drafting is not None:
                    room = min(self._draft_max, slot.budget - slot.generated - 1,
                               self._n_ctx_seq - slot.pos - 1)
                    draft = slot.drafting.propose(slot.prompt + slot.fed, room)
                    rows += [(slot.seq, t, slot.pos + i, [slot]) for i, t in enumerate(draft)]
        copies: list[tuple[int, int]] = []
        for job in list(jobs):
            take = min(len(job.tokens) - job.done, N_BATCH - len(rows))
            if take <= 0:
                break
            leader = job.slots[0].seq
            for k in range(job.done, job.done + take):
                last = k == len(job.tokens) - 1
                rows.append((leader, job.tokens[k], k, job.slots if last else []))
            job.done += take
            if job.done == len(job.tokens):
                jobs.remove(job)
                copies += [(leader, follower.seq) for follower in job.slots[1:]]
        # Rows in increasing sequence order: llama.cpp splits a batch whose sequences come out
        # of order (with a KV stream per sequence) into a micro-batch per sequence, so 8
        # sequences cost 8 decodes instead of one (measured: 103 against 58 ms a step).
        # (A stable sort: a drafting slot's rows stay in the order of their positions.)
        for seq, token, pos, readers in sorted(rows, key=lambda row: row[0]):
            index = self._add(token, pos, (seq,), bool(readers))
            for reader in readers:
                if reader.out < 0:
                    reader.out = index
                if reader.drafting is not None:
                    reader.drafting.outs.append(self._outputs[index])
        code = llama_cpp.llama_decode(self._ctx, batch)
        self.decode_steps += 1
        if code != 0:
            raise RuntimeError(f"llama_decode failed with code {code} ({batch.n_tokens} tokens)")
        # Only now does the leader's stream hold the prompt. llama.cpp copies the buffers at
        # the start of the next decode, before any follower writes its first token there.
        for leader, follower in copies:
            llama_cpp.llama_memory_seq_cp(self._mem, leader, follower, -1, -1)

    def _add(self, token: int, pos: int, seqs: tuple[int, ...], logits: bool) -> int:
        batch = self._batch
        assert batch is not None
        i = batch.n_tokens
        batch.token[i] = token
        # llama-cpp-python annotates pos as an array of arrays; it is a POINTER(llama_pos).
        batch.pos[i] = pos  # type: ignore[call-overload]
        batch.n_seq_id[i] = len(seqs)
        for j, seq in enumerate(seqs):
            batch.seq_id[i][j] = seq
        batch.logits[i] = logits
        batch.n_tokens = i + 1
        if logits:
            self._outputs[i] = len(self._outputs)  # batch index -> row of llama_get_logits
        return i

    def _sample_all(
        self,
        slots: list[Slot],
        active: list[Slot],
        jobs: list[PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        # The step's output rows, copied once: greedy slots take their argmax from it (what
        # llama.cpp's greedy sampler does, without a candidate array per slot); the helper
        # thread reduces the log-probabilities from it in place (it is nobody else's copy).
        block = np.ctypeslib.as_array(llama_cpp.llama_get_logits(self._ctx),
                                      shape=(len(self._outputs), self._n_vocab))
        # Each slot's (output row, token) in order: one, or several where drafts held.
        given: list[tuple[Slot, list[tuple[int, int]]]] = []
        plain = [slot for slot in slots if slot.drafting is None]
        tops = block[[self._outputs[slot.out] for slot in plain]].argmax(axis=1)
        for k, slot in enumerate(plain):
            row = self._outputs[slot.out]
            token = (int(tops[k]) if slot.greedy
                     else llama_cpp.llama_sampler_sample(slot.sampler, self._ctx, slot.out))
            given.append((slot, [(row, token)]))
        given += [(slot, slot.drafting.walk(block)) for slot in slots if slot.drafting]
        pairs = [pair for _, tokens in given for pair in tokens]
        future = None
        if any(not llama_cpp.llama_vocab_is_eog(self._vocab, token) for _, token in pairs):
            rows = block[[row for row, _ in pairs]]
            chosen = np.array([token for _, token in pairs], dtype=np.int64)
            future = self._reducer.submit(step_logprobs, rows, chosen)
        k = 0
        for slot, tokens in given:
            self._take(slot, tokens, future, k, active, jobs, free_seqs, host)
            k += len(tokens)

    def _take(
        self,
        slot: Slot,
        tokens: list[tuple[int, int]],
        future: Future[np.ndarray] | None,
        first: int,
        active: list[Slot],
        jobs: list[PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        """Give ``slot`` its tokens in order, until one ends it or the last is to be fed.

        tokens[i] came from the row of position ``slot.pos - 1 + i``; before the last one,
        each is a draft token whose cell (at ``slot.pos + i``) holds. The cells after the
        token the slot stops at are removed, so the cells are always prompt + fed."""
        base = slot.pos
        drafted = len(slot.drafting.draft) if slot.drafting else 0
        for i, (_, token) in enumerate(tokens):
            end: str | None = None
            if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                end = "stop"
            else:
                assert future is not None
                slot.logprobs.append((future, first + i))
                released = slot.add_token(self._pieces(token))
                if released:
                    slot.ttft = slot.ttft or time.perf_counter() - slot.started
                    host.token(slot.request, released)
                if slot.scanner.stopped:
                    end = "stop"
                elif slot.generated >= slot.budget:
                    end = "length"
            if end is None and i < len(tokens) - 1:
                continue
            slot.fed += [t for _, t in tokens[:i]]
            if drafted > i:  # draft tokens past this one were written but not kept
                llama_cpp.llama_memory_seq_rm(self._mem, slot.seq, base + i, -1)
            if end is not None:
                self._finish(slot, end, active, jobs, free_seqs, host)
            else:
                slot.feed = token
                slot.pos = base + i + 1
            return

    def _finish(
        self,
        slot: Slot,
        reason: str,
        active: list[Slot],
        jobs: list[PromptJob],
        free_seqs: list[int],
        host: BatchHost,
    ) -> None:
        rest = slot.final_text()
        if rest:
            host.token(slot.request, rest)
        pending = leave_jobs(slot, jobs)  # its prompt not yet (fully) in its cells
        active.remove(slot)
        llama_cpp.llama_sampler_free(slot.sampler)
        if pending:
            llama_cpp.llama_memory_seq_rm(self._mem, slot.seq, -1, -1)
        elif self._keep_cells:  # for the next prompt that starts the same way (module doc)
            self._cache.keep(slot.seq, slot.prompt + slot.fed)
        else:
            llama_cpp.llama_memory_seq_rm(self._mem, slot.seq, -1, -1)
        free_seqs.append(slot.seq)
        host.done(slot.result(reason))

    def _drop_cells(self, seq: int, keep: int) -> None:
        llama_cpp.llama_memory_seq_rm(self._mem, seq, keep, -1)
