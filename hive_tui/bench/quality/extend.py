"""Finish the answers the benchmark cut off, at the node's own token limit.

The benchmark generates at most ``collect.MAX_TOKENS`` tokens per answer, which is enough to
read the answer but not to know what early exit saves: on a node (512 tokens by default) a
small model goes on explaining long after its first sentence. Every sample cut off at the
benchmark's limit is generated again with the same seed and the node's limit. Seeded sampling
makes the same first tokens, so the result is exactly the answer the node would have given;
``Answers.full`` keeps it next to the short one.
"""

from __future__ import annotations

import sys

import msgspec

from hive_tui import wire
from hive_tui.backends.process import WorkerProcess
from hive_tui.bench.quality.collect import Progress, _ask, run_jobs
from hive_tui.bench.quality.store import AnswerStore, Sample


async def extend(
    store: AnswerStore,
    model_path: str,
    *,
    max_tokens: int = wire.DEFAULT_MAX_TOKENS,
    workers: int = 2,
    threads: int = 1,
    backend: str = "llama",
    progress: Progress | None = None,
) -> AnswerStore:
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    same_limit = store.full_max_tokens == max_tokens
    full: list[list[Sample | None]] = [
        # What an earlier run at this limit finished is kept (a run stopped half way, say).
        [*(a.full if same_limit and a.full else [None] * len(a.samples)),
         a.full_greedy if same_limit else None]
        for a in store.questions
    ]
    jobs = [
        (qi, si)  # si == len(samples): the greedy answer
        for qi, ans in enumerate(store.questions)
        for si, sample in enumerate([*ans.samples, ans.greedy])
        if sample.finish_reason == "length" and sample.completion_tokens < max_tokens
        and full[qi][si] is None
    ]

    async def finish(proc: WorkerProcess, job: tuple[int, int]) -> None:
        qi, si = job
        ans = store.questions[qi]
        greedy = si == len(ans.samples)
        short = ans.greedy if greedy else ans.samples[si]
        params = wire.SamplingParams(
            temperature=0.0 if greedy else store.temperature,
            top_p=store.top_p,
            min_p=store.min_p,
            max_tokens=max_tokens,
            seed=short.seed,
        )
        long = await _ask(proc, f"{ans.qid}-{si}-full", ans.question(), params)
        # (A limit can fall inside a character: "\ufffd" ends the short text then.)
        if not long.text.startswith(short.text.rstrip("\ufffd")):
            raise RuntimeError(f"{ans.qid} sample {si}: the seed did not replay the answer")
        full[qi][si] = long

    spec = wire.Load(model_path=model_path, n_ctx=1024, n_threads=threads, prompt_cache=False)
    await run_jobs(jobs, finish, spec, workers=workers, backend=backend, say=say,
                   what="answers finished")
    questions = [
        msgspec.structs.replace(a, full=row[:-1], full_greedy=row[-1])
        for a, row in zip(store.questions, full, strict=True)
    ]
    return msgspec.structs.replace(store, questions=questions, full_max_tokens=max_tokens)
