"""The raw llama-cpp-python baselines of ``hive bench swarm``, each in a process of its own
(so its memory can be measured alone): ``python -m hive_tui.bench.swarm_raw MODE ...``.

* ``single``: ``Llama.create_chat_completion``, N sequences one after another (greedy).
* ``batched``: the low-level API, N sequences decoded together in one context, greedy, with
  nothing else per token (no stops, log-probabilities, streaming): the ceiling hive's engine
  is held against.

Protocol on stdio: the process loads, prints ``ready``, waits for a line on stdin, runs,
prints one JSON object: tokens generated and wall seconds.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_cpp.llama_types import ChatCompletionRequestMessage

# Every path's context per sequence (the node rows are given the same), so no path pays for a
# bigger KV cache than another.
BENCH_N_CTX = 2048


def run_single(
    model: str, n: int, ntok: int, threads: int, ngl: int, prompt: str
) -> dict[str, float]:
    import llama_cpp

    from hive_tui.backends.llama_engine import FLASH_ATTN_ON, flash_attention_type

    flash = flash_attention_type(ngl) == FLASH_ATTN_ON  # as hive's one-sequence engine has it
    llm = llama_cpp.Llama(model_path=model, n_ctx=BENCH_N_CTX, n_threads=threads,
                          n_threads_batch=threads, n_gpu_layers=ngl, flash_attn=flash,
                          verbose=False)
    messages: list[ChatCompletionRequestMessage] = [{"role": "user", "content": prompt}]
    llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=4)  # warm up
    _ready()
    started = time.perf_counter()
    tokens = 0
    for _ in range(n):
        out = llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=ntok)
        assert isinstance(out, dict)  # not a stream
        tokens += out["usage"]["completion_tokens"]
    return {"tokens": tokens, "wall_s": time.perf_counter() - started}


def run_batched(
    model: str, n: int, ntok: int, threads: int, ngl: int, prompt: str
) -> dict[str, float]:
    import llama_cpp as L
    from llama_cpp._internals import LlamaModel

    from hive_tui.backends.llama_engine import chat_formatter, flash_attention_type

    params = L.llama_model_default_params()
    params.n_gpu_layers = ngl
    lm = LlamaModel(path_model=model, params=params, verbose=False)
    text = chat_formatter(lm.metadata(), lm)(messages=[{"role": "user", "content": prompt}]).prompt
    tokens = lm.tokenize(text.encode(), add_bos=False, special=True)
    cp = L.llama_context_default_params()
    cp.n_ctx = BENCH_N_CTX * n
    cp.n_batch = cp.n_ubatch = 512
    cp.n_seq_max = n
    cp.kv_unified = True
    cp.n_threads = cp.n_threads_batch = threads
    cp.flash_attn_type = flash_attention_type(ngl)  # as hive's batched engine has it
    ctx = L.llama_init_from_model(lm.model, cp)
    batch = L.llama_batch_init(512, 0, n)
    greedy = L.llama_sampler_init_greedy()
    mem = L.llama_get_memory(ctx)

    def add(tok: int, pos: int, seqs: list[int], logits: bool) -> None:
        i = batch.n_tokens
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = tok, pos, len(seqs)
        for j, s in enumerate(seqs):
            batch.seq_id[i][j] = s
        batch.logits[i] = logits
        batch.n_tokens = i + 1

    def once(ntok: int) -> int:
        L.llama_memory_clear(mem, True)
        batch.n_tokens = 0
        for i, t in enumerate(tokens):
            add(t, i, list(range(n)), i == len(tokens) - 1)
        assert L.llama_decode(ctx, batch) == 0
        out = [batch.n_tokens - 1] * n
        live, pos, made = list(range(n)), len(tokens), 0
        for _ in range(ntok):
            new = [L.llama_sampler_sample(greedy, ctx, out[k]) for k in range(len(live))]
            keep = [(s, t) for s, t in zip(live, new, strict=True)
                    if not L.llama_vocab_is_eog(lm.vocab, t)]
            made += len(keep)
            if not keep:
                break
            batch.n_tokens = 0
            for k, (s, t) in enumerate(keep):
                add(t, pos, [s], True)
                out[k] = k
            live = [s for s, _ in keep]
            pos += 1
            assert L.llama_decode(ctx, batch) == 0
        L.llama_synchronize(ctx)
        return made

    once(4)  # warm up
    _ready()
    started = time.perf_counter()
    made = once(ntok)
    return {"tokens": made, "wall_s": time.perf_counter() - started}


def _ready() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def main(argv: list[str]) -> int:
    from llama_cpp import _logger

    _logger.set_verbose(False)  # llama.cpp's context log would drown the bench's table
    mode, model, n, ntok, threads, ngl = argv[1], argv[2], *map(int, argv[3:7])
    prompt = argv[7]
    run = {"single": run_single, "batched": run_batched}[mode]
    result = run(model, n, ntok, threads, ngl, prompt)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
