"""The stored answers: every question's greedy answer and K sampled answers, as JSON.

Scoring reads only this file, so strategies can be re-scored (and new ones tried) without
generating again: ``hive bench quality --answers FILE``.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from hive_tui.bench.quality.tasks import Question
from hive_tui.wire import Candidate


class Sample(msgspec.Struct, frozen=True):
    seed: int
    text: str
    finish_reason: str
    completion_tokens: int
    gen_s: float  # generate received -> done, in the worker
    mean_logprob: float | None = None
    logprob_s: float = 0.0  # of gen_s, the time spent computing the log-probabilities

    def candidate(self, slot: int) -> Candidate:
        """As the swarm would hand it to a strategy (latency = generation time)."""
        return Candidate(
            worker_id=f"s{slot}",
            text=self.text,
            finish_reason=self.finish_reason,
            completion_tokens=self.completion_tokens,
            latency_s=self.gen_s,
            mean_logprob=self.mean_logprob,
        )


class Answers(msgspec.Struct, frozen=True):
    qid: str
    task: str
    prompt: str
    answer: str
    accepted: list[str]
    greedy: Sample
    samples: list[Sample]

    def question(self) -> Question:
        return Question(self.qid, self.task, self.prompt, self.answer, tuple(self.accepted))


class LogprobCost(msgspec.Struct, frozen=True):
    """Tokens/s of the same greedy generation with and without log-probabilities, in pairs run
    back to back on one worker (``with_tps[i]`` and ``without_tps[i]`` are a pair)."""

    with_tps: list[float]
    without_tps: list[float]
    tokens: int

    @property
    def cost(self) -> float:
        """1 - best(with) / best(without): the share of throughput the logprobs take. Best of
        the runs, not medians: a busy neighbour only ever slows a run down, so each side's
        fastest run is its least disturbed one."""
        return 1.0 - max(self.with_tps) / max(self.without_tps)

    @property
    def paired(self) -> float:
        """1 - the median of the back-to-back pairs' with/without ratios (a second view)."""
        import statistics

        ratios = [w / wo for w, wo in zip(self.with_tps, self.without_tps, strict=True)]
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

    def save(self, path: Path) -> None:
        path.write_bytes(msgspec.json.format(msgspec.json.encode(self), indent=1))

    @staticmethod
    def load(path: Path) -> AnswerStore:
        return msgspec.json.decode(path.read_bytes(), type=AnswerStore)
