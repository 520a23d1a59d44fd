"""The one-sequence engine's token loop with drafting: each step feeds the last chosen token
and a draft of up to k more in one ``llama_decode`` with logits on every row, then walks the
rows: greedy keeps a draft token while it is the argmax; sampling judges it with
``speculative.judge`` (the output stays distributed exactly as without drafting). The KV
cells of rejected draft tokens are removed before the next step.

Yields (token, logits row it was chosen from); the row is valid until the next iteration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import llama_cpp
import numpy as np

from hive_tui import wire
from hive_tui.backends.speculative import Chooser, next_draft_length

# (the tokens so far, the most to propose) -> the draft
Drafter = Callable[[list[int], int], list[int]]


def drafted_tokens(
    llm: llama_cpp.Llama,
    prompt: list[int],
    params: wire.SamplingParams,
    budget: int,
    drafter: Drafter,
    draft_max: int,
) -> Iterator[tuple[int, np.ndarray]]:
    ctx = llm._ctx.ctx
    mem = llama_cpp.llama_get_memory(ctx)
    llama_cpp.llama_memory_clear(mem, True)
    n_vocab, n_ctx, n_batch = llm.n_vocab(), llm.n_ctx(), llm.n_batch
    batch = llama_cpp.llama_batch_init(max(n_batch, draft_max + 1), 0, 1)
    choose = Chooser(params)

    def decode(tokens: list[int], pos: int, all_logits: bool) -> np.ndarray:
        for i, token in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = pos + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = all_logits or i == len(tokens) - 1
        batch.n_tokens = len(tokens)
        code = llama_cpp.llama_decode(ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode failed with code {code} ({len(tokens)} tokens)")
        rows = len(tokens) if all_logits else 1
        return np.ctypeslib.as_array(llama_cpp.llama_get_logits(ctx), shape=(rows, n_vocab))

    try:
        for start in range(0, len(prompt), n_batch):
            rows = decode(prompt[start:start + n_batch], start, False)
        history = list(prompt)
        pos = len(prompt)
        token, _ = choose(rows[0], None)
        emitted = 1
        want = draft_max  # adapts: grows while drafts are kept whole, shrinks on rejections
        yield token, rows[0]
        while emitted < budget:
            history.append(token)
            room = min(want, budget - emitted - 1, n_ctx - pos - 2)
            fed = [token] + (drafter(history, room) if room > 0 else [])
            rows = decode(fed, pos, True)
            kept = 0
            for i in range(len(fed)):
                token, ok = choose(rows[i], fed[i + 1] if i + 1 < len(fed) else None)
                emitted += 1
                yield token, rows[i]
                kept += 1
                if not ok or emitted >= budget:
                    break
            want = next_draft_length(want, len(fed) - 1, kept, draft_max)
            history.extend(fed[1:kept])
            pos += kept
            if kept < len(fed):
                llama_cpp.llama_memory_seq_rm(mem, 0, pos, -1)
    finally:
        llama_cpp.llama_batch_free(batch)
