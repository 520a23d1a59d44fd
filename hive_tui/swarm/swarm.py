"""The swarm: one prompt fans out to N workers, their answers come back, a strategy votes.

Reproducibility: a request with a ``seed`` gives worker slot i the seed ``derive_seed(seed, i)``
(slot = position in the vote, not worker id), so the same request over the same workers gives
the same candidates and the same winner, streamed or not. The node resolves every request
before it gets here (``hive_tui.node.resolve_request``: defaults, strategy, the seed drawn when
none was asked for and reported, so any vote can be replayed).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from hive_tui import consensus, wire
from hive_tui.backends.process import WorkerDied
from hive_tui.bus import EventBus
from hive_tui.errors import HiveError
from hive_tui.swarm.json_format import JsonFormat
from hive_tui.swarm.worker import Worker

# The sampling defaults live in the wire module; named here too for the benchmarks.
DEFAULT_TEMPERATURE = wire.DEFAULT_TEMPERATURE
DEFAULT_TOP_P = wire.DEFAULT_TOP_P
# How long a request waits for workers that are still loading or restarting.
READY_WAIT_S = 60.0
SETTLE_WAIT_S = 2.0
# How long cancelled workers get to confirm before their tasks are abandoned.
CANCEL_GRACE_S = 5.0


class SwarmError(HiveError):
    """The request could not be answered (no worker available, every worker failed)."""


class ContextLengthExceeded(SwarmError):
    """The prompt cannot fit the context: not worth retrying (the API answers 400)."""

    code = "context_length_exceeded"

    def __init__(self, prompt_tokens: int, n_ctx: int, exact: bool = False) -> None:
        size = f"{prompt_tokens} tokens" if exact else f"at least {prompt_tokens} tokens"
        super().__init__(
            f"the prompt is {size}, and the workers' context is {n_ctx} tokens "
            "(prompt and answer together): shorten the messages"
        )
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx


# What the engines say when the model's own tokenizer finds the prompt too long.
_ENGINE_SAYS = re.compile(r"prompt of (\d+) tokens does not fit the context of (\d+)")


def from_worker_errors(errors: Sequence[str]) -> ContextLengthExceeded | None:
    """Every worker refused the prompt as too long for its context: the exact counts."""
    found = [_ENGINE_SAYS.search(e) for e in errors]
    if not errors or not all(found):
        return None
    tokens, n_ctx = max((int(m.group(1)), int(m.group(2))) for m in found if m)
    return ContextLengthExceeded(tokens, n_ctx, exact=True)


def derive_seed(seed: int, slot: int) -> int:
    digest = hashlib.blake2b(f"hive:{seed}:{slot}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class SwarmRequest:
    """One resolved request: build it with ``hive_tui.node.resolve_request`` (or
    ``Node.request``), which applies the defaults, checks the strategy and draws the seed."""

    messages: list[wire.ChatMessage]
    params: wire.SamplingParams = wire.SamplingParams()
    seed: int | None = None  # None only before resolve_request; Swarm.run refuses it
    strategy: str = consensus.DEFAULT_STRATEGY
    workers: int | None = None  # None: every worker of this node
    tools: tuple[wire.ToolSpec, ...] = ()  # tools offered to the model; () offers none
    # Stop the workers still generating once their answers can no longer change the outcome
    # (``consensus.early_exit``); the ``early_exit`` setting unless the request says.
    early_exit: bool = False
    # What to do with a prompt over the context (``swarm/context.py``): "error" (the 400),
    # "truncate" or "compress"; resolve_request applies the front end's default.
    context: str = "error"
    request_id: str = field(default_factory=lambda: f"req-{uuid.uuid4().hex[:16]}")
    # Ground the answer on this knowledge base (``hive_tui.retrieval``); the passages it gave,
    # once retrieved; and whether a peer asked (a peer reads only shared knowledge bases).
    kb: str | None = None
    passages: tuple[wire.Passage, ...] = ()
    from_peer: bool = False
    # Structured output: every answer must be JSON (valid for the schema, when one was given);
    # params.grammar constrains the workers, and the vote compares canonical objects.
    structured: JsonFormat | None = None


@dataclass(frozen=True)
class VoteResult:
    request_id: str
    seed: int
    candidates: list[wire.Candidate]
    decision: wire.Decision
    degraded: bool
    missing: list[str]
    prompt_tokens: int
    # What the context policy did to the messages before the vote (None: nothing asked)
    context: wire.ContextReport | None = None
    passages: tuple[wire.Passage, ...] = ()  # what grounded the prompt, when a kb was asked
    cached_tokens: int = 0  # of prompt_tokens, found in a worker's prefix cache

    @property
    def winner(self) -> wire.Candidate:
        return self.candidates[self.decision.winner]


class Swarm:
    def __init__(self, workers: list[Worker], bus: EventBus, node_id: str = "local") -> None:
        self.workers = workers
        self.bus = bus
        self.node_id = node_id
        # Prompt tokens read by this node's workers, and those their prefix caches held.
        self.prompt_tokens_read = 0
        self.prompt_tokens_cached = 0

    async def start(self) -> None:
        await asyncio.gather(*(w.start() for w in self.workers))

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers), return_exceptions=True)

    def statuses(self) -> list[wire.WorkerStatus]:
        return [w.status() for w in self.workers]

    async def run(self, request: SwarmRequest) -> VoteResult:
        """Answer one request, publishing every step on the bus; cancelling it cancels workers."""
        seed = request.seed
        if seed is None:
            raise ValueError("an unresolved request: build it with node.resolve_request")
        chosen, absent = await self._choose_workers(request.workers)
        rid = request.request_id
        self.bus.publish(
            wire.RequestStarted(
                rid, request.messages, request.strategy, [w.worker_id for w in chosen]
            )
        )
        started = time.perf_counter()
        # Tool calls are voted on whole (a strict majority of all workers): no early exit there.
        # Structured answers are voted on as whole objects, after every worker has answered.
        early_exit = not request.structured and (
            request.strategy in consensus.EARLY_EXIT or (request.early_exit and not request.tools)
        )
        question = consensus.question_of(request.messages)
        slots: list[wire.Candidate | None] = [None] * len(chosen)
        prompt_tokens = cached_tokens = 0
        crashed: list[str] = []
        errors: list[str] = []
        settled = asyncio.Event()  # the vote may stop: its outcome is decided, or all answered
        ended: set[int] = set()
        tally = consensus.Tally(request.strategy, len(chosen), question)

        async def answer(slot: int, worker: Worker) -> None:
            nonlocal prompt_tokens, cached_tokens
            worker_seed = derive_seed(seed, slot)
            self.bus.publish(wire.WorkerStarted(rid, worker.worker_id, self.node_id, worker_seed))
            params = msgspec.structs.replace(request.params, seed=worker_seed)
            generate = wire.Generate(
                request_id=rid, messages=request.messages, params=params, tools=list(request.tools)
            )
            first_token_at = 0.0
            try:
                async for frame in worker.generate(generate):
                    match frame:
                        case wire.TokenChunk(text=text):
                            first_token_at = first_token_at or time.perf_counter() - started
                            self.bus.publish(wire.TokenEvent(rid, worker.worker_id, text))
                            if early_exit and tally.text(slot, text):
                                settled.set()
                        case wire.Done() as done:
                            prompt_tokens = max(prompt_tokens, done.prompt_tokens)
                            cached_tokens = max(cached_tokens, done.cached_tokens)
                            self.prompt_tokens_read += done.prompt_tokens
                            self.prompt_tokens_cached += done.cached_tokens
                            candidate = wire.Candidate(
                                worker_id=worker.worker_id,
                                node_id=self.node_id,
                                text=done.text,
                                finish_reason=done.finish_reason,
                                completion_tokens=done.completion_tokens,
                                latency_s=time.perf_counter() - started,
                                ttft_s=first_token_at,
                                mean_logprob=done.mean_logprob,
                                token_logprobs=done.token_logprobs,
                                token_ends=done.token_ends,
                                prompt_tokens=done.prompt_tokens,
                                cached_tokens=done.cached_tokens,
                                stop_sequence=done.stop_sequence,
                            )
                            candidate = tally.final(slot, candidate)
                            slots[slot] = candidate
                            self.bus.publish(wire.CandidateDone(rid, candidate))
                            if early_exit and tally.finished(slot, candidate):
                                settled.set()
                        case wire.WorkerError(message=message):
                            raise WorkerDied(message)
            except WorkerDied as exc:
                crashed.append(worker.worker_id)
                errors.append(str(exc))
                self.bus.publish(wire.WorkerCrashed(worker.worker_id, str(exc), rid))
            finally:
                ended.add(slot)
                if len(ended) == len(chosen):
                    settled.set()  # nothing left to wait for

        tasks: list[asyncio.Task[None]] = []

        async def answers() -> None:
            async with asyncio.TaskGroup() as group:
                tasks.extend(group.create_task(answer(i, w)) for i, w in enumerate(chosen))
                if early_exit:
                    await settled.wait()
                    # They confirm, then end; one of the majority goes on to finish its answer.
                    self._cancel_unfinished(chosen, tasks, rid, keep=tally.keeper())

        collecting = asyncio.create_task(answers())
        try:
            await asyncio.shield(collecting)
        except asyncio.CancelledError:
            # A cancelled vote (client gone) asks the workers to stop and gives them a moment
            # to confirm, so no child keeps generating for a request that nobody reads.
            self._cancel_unfinished(chosen, tasks, rid)
            await asyncio.wait([collecting], timeout=CANCEL_GRACE_S)
            collecting.cancel()
            raise

        candidates = [c for c in slots if c is not None]
        if not candidates:
            too_long = from_worker_errors(errors)
            message = str(too_long or f"every worker failed: {', '.join(crashed) or 'no answer'}")
            self.bus.publish(wire.RequestFailed(rid, message))
            raise too_long or SwarmError(message)
        if request.structured is not None:
            try:  # the majority of equal valid objects; its canonical JSON is the answer
                decision, candidates = consensus.decide_json(
                    candidates, request.structured.schema
                )
            except consensus.NoValidJson as exc:
                self.bus.publish(wire.RequestFailed(rid, str(exc)))
                raise
        else:
            decision = consensus.decide(request.strategy, candidates, question)
        # Wanted but not up (a backend that is not installed, a restart) or lost on the way.
        missing = absent + [w.worker_id for w, c in zip(chosen, slots, strict=True) if c is None]
        result = VoteResult(rid, seed, candidates, decision, bool(missing), missing, prompt_tokens,
                            cached_tokens=cached_tokens)
        self.bus.publish(wire.VoteDecided(rid, candidates, decision, result.degraded, missing))
        return result

    @staticmethod
    def _cancel_unfinished(
        chosen: list[Worker], tasks: list[asyncio.Task[None]], rid: str, keep: int | None = None
    ) -> None:
        for slot, (worker, task) in enumerate(zip(chosen, tasks, strict=True)):
            if not task.done() and slot != keep:
                worker.cancel(rid)

    async def _choose_workers(self, wanted: int | None) -> tuple[list[Worker], list[str]]:
        """The ready workers that answer, and the ids of those wanted that are not up."""
        want = len(self.workers) if wanted is None else max(1, min(wanted, len(self.workers)))
        ready = [w for w in self.workers if w.is_ready]
        if len(ready) < want:
            # Give loading or restarting workers a moment, then a longer wait if none is up.
            pending = [w for w in self.workers if not w.is_ready and w.state != "stopped"]
            limit = SETTLE_WAIT_S if ready else READY_WAIT_S
            if pending:
                await asyncio.wait(
                    [asyncio.create_task(w.wait_ready(limit)) for w in pending], timeout=limit
                )
            ready = [w for w in self.workers if w.is_ready]
        if not ready:
            reasons = "; ".join(f"{w.worker_id}: {w.last_error}" for w in self.workers
                                if w.last_error)
            raise SwarmError("no worker is available (all are loading, crashed or stopped)"
                             + (f": {reasons}" if reasons else ""))
        chosen = ready[:want]
        absent = [w.worker_id for w in self.workers if not w.is_ready][: want - len(chosen)]
        return chosen, absent
