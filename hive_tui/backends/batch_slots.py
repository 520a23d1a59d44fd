"""The batched engine's bookkeeping, apart from llama.cpp: a slot (one request decoding in one
sequence of the shared context: its text, stop strings, budget and log-probabilities) and a
prompt job (a prompt still to evaluate, for the first of the slots that asked it together, then
copied to the rest), and which sequence a new slot's prompt goes to (``attach_prompt``).
``batched_engine.py`` feeds them tokens and cells."""

from __future__ import annotations

import codecs
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hive_tui import wire
from hive_tui.backends.llama_sampling import per_token
from hive_tui.backends.stops import StopScanner

if TYPE_CHECKING:
    # Only for the annotations: the engine imports numpy itself, after llama_cpp.
    import numpy as np

    from hive_tui.backends.batch_drafts import Drafting
    from hive_tui.backends.prefix_cache import PrefixCache


@dataclass(eq=False)  # slots and jobs are compared by identity
class Slot:
    request: wire.Generate
    seq: int
    sampler: int  # llama_sampler pointer
    prompt: list[int]
    budget: int
    started: float
    greedy: bool = False
    pos: int = 0  # position of the next token fed to this sequence
    out: int = -1  # batch index whose logits this slot samples next; -1: nothing to sample yet
    feed: int | None = None  # the token sampled last, fed in the next step
    generated: int = 0
    fed: list[int] = field(default_factory=list)  # generated tokens whose cells are written
    cached: int = 0  # prompt tokens found in the cache, not evaluated again
    drafting: Drafting | None = None  # prompt-lookup drafts (batch_drafts); None: no drafting
    # (future of one step's log-probabilities, this slot's row in it), summed at the end
    logprobs: list[tuple[Future[np.ndarray], int]] = field(default_factory=list)
    ttft: float = 0.0
    ends: list[int] = field(default_factory=list)  # raw text length after each token
    scanner: StopScanner = field(default_factory=lambda: StopScanner([]))
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )

    def add_token(self, piece: bytes) -> str:
        """Count a sampled token and take its bytes into the text; what the stop scanner
        releases (text that can no longer turn into a stop string) is returned."""
        self.generated += 1
        text = self.decoder.decode(piece)
        self.ends.append((self.ends[-1] if self.ends else 0) + len(text))
        return self.scanner.feed(text)

    def final_text(self) -> str:
        """What the decoder and the stop scanner still hold, once the slot ends."""
        return self.scanner.feed(self.decoder.decode(b"", final=True)) + self.scanner.flush()

    def result(self, reason: str) -> wire.Done:
        logprobs = per_token(self.logprobs)
        return wire.Done(
            request_id=self.request.request_id,
            text=self.scanner.text,
            finish_reason=reason,
            prompt_tokens=len(self.prompt),
            cached_tokens=self.cached,
            stop_sequence=self.scanner.matched,
            completion_tokens=self.generated,
            ttft_s=self.ttft,
            gen_s=time.perf_counter() - self.started,
            mean_logprob=sum(logprobs) / len(logprobs) if logprobs else None,
            slot=self.request.slot,
            token_logprobs=logprobs,
            token_ends=self.ends[: len(logprobs)],
        )


@dataclass(eq=False)
class PromptJob:
    """A prompt still to evaluate: for the first of its slots, then copied to the rest."""

    tokens: list[int]
    slots: list[Slot]  # slots[0] is the one whose sequence is evaluated
    done: int = 0  # tokens already in the leader's cells (fed, or found in its cache)
    start: int = 0  # tokens found in the cache: the job has fed nothing while done == start


def leave_jobs(slot: Slot, jobs: list[PromptJob]) -> bool:
    """Take an ending slot out of the prompt jobs; True when its prompt was not yet (fully)
    in its cells."""
    pending = False
    for job in list(jobs):
        if slot in job.slots:
            pending = True
            if job.slots[0] is slot:  # the evaluated cells go with it: the next redoes all
                job.done = job.start = 0
                for follower in job.slots[1:]:
                    follower.cached = 0
            job.slots.remove(slot)
            if not job.slots:
                jobs.remove(job)
    return pending


def attach_prompt(
    slot: Slot, jobs: list[PromptJob], free_seqs: list[int], cache: PrefixCache
) -> None:
    """Join a prompt not yet started that is the same; else evaluate this one, in the free
    sequence that holds the longest prefix of it, from the end of that prefix.

    A slot arriving once another already decodes the same prompt evaluates it again: that
    other stream holds generated tokens too, and only whole streams can be copied.
    """
    for job in jobs:
        if job.done == job.start and job.tokens == slot.prompt:
            # A follower gets the leader's whole stream copied in (after its prompt).
            slot.seq = cache.take_empty(slot.prompt, free_seqs)
            slot.cached = job.start
            job.slots.append(slot)
            return
    slot.seq, reuse = cache.take_for(slot.prompt, free_seqs)
    slot.cached = reuse
    jobs.append(PromptJob(list(slot.prompt), [slot], done=reuse, start=reuse))
