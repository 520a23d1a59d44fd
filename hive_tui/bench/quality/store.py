"""The stored answers: every question's greedy answer and K sampled answers, as JSON.

Scoring reads only this file, so strategies can be re-scored (and new ones tried) without
generating again: ``hive bench quality --answers FILE``.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from hive_tui.bench.quality.tasks import Question, split_of
from hive_tui.wire import Candidate


class Sample(msgspec.Struct, frozen=True):
    seed: int
    text: str
    finish_reason: str
    completion_tokens: int
    gen_s: float  # generate received -> done, in the worker
    mean_logprob: float | None = None
    logprob_s: float = 0.0  # of gen_s, the time spent computing the log-probabilities
    token_logprobs: list[float] = []
    token_ends: list[int] = []

    def candidate(self, slot: int) -> Candidate:
        """As the swarm would hand it to a strategy (latency = generation time)."""
        return Candidate(
            worker_id=f"s{slot}",
            text=self.text,
            finish_reason=self.finish_reason,
            completion_tokens=self.completion_tokens,
            latency_s=self.gen_s,
            mean_logprob=self.mean_logprob,
            token_logprobs=self.token_logprobs,
            token_ends=self.token_ends,
        )


class Answers(msgspec.Struct, frozen=True):
    qid: str
    task: str
    prompt: str
    answer: str
    accepted: list[str]
    greedy: Sample
    samples: list[Sample]
    system: str = ""
    # ``extend.extend``: each sample regenerated with the same seed at the node's own token
    # limit (None where the stored one already ended by itself): the same first tokens, then
    # what the node would have gone on to say. Early exit is measured on these lengths.
    full: list[Sample | None] = []
    full_greedy: Sample | None = None  # the greedy answer finished the same way

    @property
    def greedy_full(self) -> Sample:
        return self.full_greedy or self.greedy

    def full_sample(self, i: int) -> Sample:
        """Sample i as the node would have generated it, to its own end where known."""
        return (self.full[i] if i < len(self.full) else None) or self.samples[i]

    def question(self) -> Question:
        return Question(
            self.qid, self.task, self.prompt, self.answer, tuple(self.accepted), self.system
        )


class LogprobCost(msgspec.Struct, frozen=True):
    """Every question's greedy answer generated twice, with and without log-probabilities,
    back to back on one worker (same tokens both ways): generation seconds of each pair."""

    with_s: list[float]
    without_s: list[float]
    tokens: list[int]

    @property
    def with_tps(self) -> float:
        return sum(self.tokens) / max(1e-9, sum(self.with_s))

    @property
    def without_tps(self) -> float:
        return sum(self.tokens) / max(1e-9, sum(self.without_s))

    @property
    def cost(self) -> float:
        """1 - tokens/s with / tokens/s without, over all pairs: the share of throughput the
        logprobs take. A busy neighbour slows some runs, but both sides alike on average."""
        return 1.0 - self.with_tps / self.without_tps

    @property
    def paired(self) -> float:
        """1 - the median of the pairs' without/with time ratios (a second view)."""
        import statistics

        ratios = [wo / w for w, wo in zip(self.with_s, self.without_s, strict=True)]
        return 1.0 - statistics.median(ratios)


class AnswerStore(msgspec.Struct):
    model: str
    temperature: float
    top_p: float
    max_tokens: int
    k: int
    seed: int
    workers: int
    threads: int
    wall_s: float
    questions: list[Answers]
    logprob_cost: LogprobCost | None = None
    full_max_tokens: int | None = None  # the token limit ``full`` was generated at
    min_p: float = 0.0  # stores from before min-p existed sampled without it

    def at_full_length(self) -> AnswerStore:
        """Every answer as the node would have given it at ``full_max_tokens`` (``extend``)."""
        return msgspec.structs.replace(self, questions=[
            msgspec.structs.replace(
                a, samples=[a.full_sample(i) for i in range(len(a.samples))], greedy=a.greedy_full
            )
            for a in self.questions
        ])

    def split(self, name: str) -> AnswerStore:
        """The same store with only the questions of one split (``tasks.split_of``)."""
        kept = [a for a in self.questions if split_of(a.prompt) == name]
        return msgspec.structs.replace(self, questions=kept)

    def save(self, path: Path) -> None:
        path.write_bytes(msgspec.json.format(msgspec.json.encode(self), indent=1))

    @staticmethod
    def load(path: Path) -> AnswerStore:
        return msgspec.json.decode(path.read_bytes(), type=AnswerStore)
