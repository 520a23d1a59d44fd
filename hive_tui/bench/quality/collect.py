"""Generate the answers through real hive worker processes (the same children a node runs).

Two workers with one thread each by default (never more threads than free cores: see
``config.threads_per_worker``). Sample k of a question uses the seed the swarm would give
slot k of a request seeded with the question's seed (``swarm.derive_seed``), so any stored
answer can be replayed with ``hive ask --seed``-style requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hive_tui import wire
from hive_tui.backends.process import WorkerProcess
from hive_tui.bench.quality.store import Answers, AnswerStore, LogprobCost, Sample
from hive_tui.bench.quality.tasks import Question
from hive_tui.swarm.swarm import derive_seed
from hive_tui.wire import DEFAULT_MIN_P, DEFAULT_TEMPERATURE, DEFAULT_TOP_P

# Long enough for "The capital of X is Y." with a short explanation; an answer still running
# after this is counted as cut off (finish_reason "length").
MAX_TOKENS = 48

# Every COST_EVERY-th question's greedy answer is made twice, with and without
# log-probabilities, to measure what they cost (more would only slow the run down).
COST_EVERY = 4

Progress = Callable[[str], None]
J = TypeVar("J")


def question_seed(seed: int, qid: str) -> int:
    digest = hashlib.blake2b(f"hive-quality:{seed}:{qid}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


def messages(q: Question) -> list[wire.ChatMessage]:
    system = [wire.ChatMessage("system", q.system)] if q.system else []
    return [*system, wire.ChatMessage("user", q.prompt)]


async def _ask(
    proc: WorkerProcess, rid: str, q: Question, params: wire.SamplingParams, logprobs: bool = True
) -> Sample:
    request = wire.Generate(rid, messages(q), params, logprobs=logprobs)
    async for frame in proc.generate(request):
        match frame:
            case wire.Done() as done:
                return Sample(
                    params.seed,
                    done.text,
                    done.finish_reason,
                    done.completion_tokens,
                    done.gen_s,
                    done.mean_logprob,
                    done.logprob_s,
                    done.token_logprobs,
                    done.token_ends,
                )
            case wire.WorkerError(message=message):
                raise RuntimeError(f"worker failed on {rid}: {message}")
    raise RuntimeError(f"worker ended {rid} without an answer")


async def run_jobs(
    jobs: list[J],
    answer: Callable[[WorkerProcess, J], Awaitable[None]],
    spec: wire.Load,
    *,
    workers: int,
    backend: str,
    say: Progress,
    what: str,
) -> None:
    """``answer`` every job on the first free of ``workers`` worker processes, saying how far
    it got every tenth of the way; the processes are started first and stopped after."""
    if not jobs:
        return
    queue: asyncio.Queue[J] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    total, done, started = len(jobs), 0, time.perf_counter()

    async def drain(proc: WorkerProcess) -> None:
        nonlocal done
        while not queue.empty():
            await answer(proc, queue.get_nowait())
            done += 1
            if done % max(1, total // 10) == 0:
                say(f"  {done}/{total} {what} ({time.perf_counter() - started:.0f} s)")

    procs = [WorkerProcess(backend, i) for i in range(workers)]
    try:
        await asyncio.gather(*(p.start(spec) for p in procs))
        await asyncio.gather(*(drain(p) for p in procs))
    finally:
        await asyncio.gather(*(p.stop() for p in procs), return_exceptions=True)


async def collect(
    questions: list[Question],
    k: int,
    model_path: str,
    model_name: str,
    *,
    seed: int = 0,
    workers: int = 2,
    threads: int = 1,
    backend: str = "llama",
    temperature: float = DEFAULT_TEMPERATURE,
    top_p: float = DEFAULT_TOP_P,
    min_p: float = DEFAULT_MIN_P,
    progress: Progress | None = None,
) -> AnswerStore:
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.perf_counter()
    # No prompt cache: a stored answer must not depend on the question asked before it.
    spec = wire.Load(model_path=model_path, n_ctx=1024, n_threads=threads, prompt_cache=False)
    greedy_params = wire.SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS)
    greedy: list[Sample | None] = [None] * len(questions)
    cost_pairs: list[tuple[Sample, Sample]] = []
    sampled: list[list[Sample | None]] = [[None] * k for _ in questions]

    async def answer(proc: WorkerProcess, job: tuple[int, int]) -> None:
        qi, slot = job
        q = questions[qi]
        if slot < 0 and qi % COST_EVERY:
            greedy[qi] = await _ask(proc, f"{q.qid}-g", q, greedy_params)
        elif slot < 0:
            # The greedy answer twice, with and without log-probabilities, order
            # alternating: the same tokens both ways, so the pairs, spread over the
            # whole run, measure what the logprobs cost in the same conditions.
            pair = {}
            for flag in (True, False) if qi % (2 * COST_EVERY) == 0 else (False, True):
                pair[flag] = await _ask(proc, f"{q.qid}-g{flag:d}", q, greedy_params, flag)
            greedy[qi] = pair[True]
            if pair[True].completion_tokens == pair[False].completion_tokens:
                cost_pairs.append((pair[True], pair[False]))
        else:
            params = wire.SamplingParams(
                temperature=temperature,
                top_p=top_p,
                min_p=min_p,
                max_tokens=MAX_TOKENS,
                seed=derive_seed(question_seed(seed, q.qid), slot),
            )
            sampled[qi][slot] = await _ask(proc, f"{q.qid}-{slot}", q, params)

    jobs = [(qi, slot) for qi in range(len(questions)) for slot in range(-1, k)]  # -1: greedy
    await run_jobs(jobs, answer, spec, workers=workers, backend=backend, say=say, what="answers")
    answers = [
        Answers(
            q.qid,
            q.task,
            q.prompt,
            q.answer,
            list(q.accepted),
            g,
            [s for s in row if s is not None],
            q.system,
        )
        for q, g, row in zip(questions, greedy, sampled, strict=True)
        if g is not None
    ]
    return AnswerStore(
        model=model_name,
        temperature=temperature,
        top_p=top_p,
        min_p=min_p,
        max_tokens=MAX_TOKENS,
        k=k,
        seed=seed,
        workers=workers,
        threads=threads,
        wall_s=time.perf_counter() - started,
        questions=answers,
        logprob_cost=LogprobCost(
            [w.gen_s for w, _ in cost_pairs],
            [wo.gen_s for _, wo in cost_pairs],
            [w.completion_tokens for w, _ in cost_pairs],
        )
        if cost_pairs
        else None,
    )
