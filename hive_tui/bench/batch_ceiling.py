"""The raw batched-decode ceiling: what llama.cpp itself gains by decoding B sequences in one
batch instead of one, on this CPU and this model, with nothing of hive around it.

``hive bench load`` prints it beside its own speed-ups, so a number like "8 concurrent votes
1.1x faster" can be read against what the kernels allow: some quantisations have batched
matrix kernels on a CPU (Q4_0, Q8_0 through llamafile's tinyBLAS or the repack path) and some
do not (Q4_1 in llama.cpp builds of 2025), which then pay each extra sequence almost in full.
"""

from __future__ import annotations

import time


def batch_ceiling(model_path: str, batches: tuple[int, ...] = (1, 2, 4, 8),
                  steps: int = 24, threads: int = 1) -> dict[int, float]:
    """Aggregate tokens/s of greedy-free decode steps (one token per sequence per step) at
    each batch size, after a short shared prompt; the same context for every size."""
    import llama_cpp

    llama_cpp.llama_backend_init()
    params = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(model_path.encode(), params)
    if not model:
        raise OSError(f"llama.cpp could not load {model_path}")
    most = max(batches)
    cp = llama_cpp.llama_context_default_params()
    cp.n_ctx = 256 * most
    cp.n_batch = cp.n_ubatch = 512
    cp.n_seq_max = most
    cp.kv_unified = False
    cp.n_threads = cp.n_threads_batch = threads
    cp.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED  # as the batched engine
    ctx = llama_cpp.llama_init_from_model(model, cp)
    batch = llama_cpp.llama_batch_init(512, 0, most)
    prompt = list(range(100, 132))  # 32 tokens: any ids do for timing
    speeds: dict[int, float] = {}
    try:
        for size in batches:
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
            _fill(batch, [(t, pos, seq, pos == len(prompt) - 1)
                          for seq in range(size) for pos, t in enumerate(prompt)])
            llama_cpp.llama_decode(ctx, batch)
            started = time.perf_counter()
            for step in range(steps):
                pos = len(prompt) + step
                _fill(batch, [(200 + step, pos, seq, True) for seq in range(size)])
                if llama_cpp.llama_decode(ctx, batch) != 0:
                    raise RuntimeError("llama_decode failed")
            speeds[size] = size * steps / (time.perf_counter() - started)
    finally:
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_free(ctx)
        llama_cpp.llama_model_free(model)
    return speeds


def _fill(batch: object, rows: list[tuple[int, int, int, bool]]) -> None:
    for i, (token, pos, seq, logits) in enumerate(rows):
        batch.token[i] = token  # type: ignore[attr-defined]
        batch.pos[i] = pos  # type: ignore[attr-defined]
        batch.n_seq_id[i] = 1  # type: ignore[attr-defined]
        batch.seq_id[i][0] = seq  # type: ignore[attr-defined]
        batch.logits[i] = logits  # type: ignore[attr-defined]
    batch.n_tokens = len(rows)  # type: ignore[attr-defined]


def requantize(source: str, target: str, ftype_name: str = "Q8_0") -> str:
    """``source`` requantised to ``ftype_name`` at ``target`` (llama.cpp's quantizer, which
    dequantises first: from Q4_1 to Q8_0 the values barely move). For benchmarks only."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype_name}")
    params.allow_requantize = True
    params.nthread = 1
    code = llama_cpp.llama_model_quantize(source.encode(), target.encode(), params)
    if code != 0:
        raise RuntimeError(f"llama_model_quantize failed with {code}")
    return target
