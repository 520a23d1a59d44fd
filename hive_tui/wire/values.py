"""Value types that travel inside several channels: chat messages, sampling parameters,
candidates, decisions and worker status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

# Temperature 0.7, top-p 0.95 and min-p 0.3, chosen on the dev split of `hive bench quality`
# (docs/quality.md). Min-p drops every token less than 0.3 x as likely as the best one before
# the temperature, so the workers still differ where the model hesitates between plausible
# tokens but no longer wander into unlikely ones: on the embedded model the vote at N = 5 rose
# from 0.601 (temperature 0.4, no min-p) to 0.612, and any of 5 right from 0.736 to 0.751.
# The one place these defaults live; settings, requests and the app take them from here.
DEFAULT_TEMPERATURE = 0.7
DEFAULT_TOP_P = 0.95
DEFAULT_MIN_P = 0.3
# How long an answer may get when neither the request nor the settings say.
DEFAULT_MAX_TOKENS = 512


class ChatMessage(msgspec.Struct, frozen=True):
    role: str
    content: str


class SamplingParams(msgspec.Struct, frozen=True):
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    top_k: int = 40
    max_tokens: int = 256
    stop: list[str] = []
    seed: int = 0
    # A GBNF grammar every sampled token must follow (structured output); built in the node
    # from the request's JSON schema by llama-cpp-python's own converter, so workers only parse it.
    grammar: str | None = None
    # Tokens less likely than min_p x the likeliest are dropped before the temperature, as
    # llama.cpp's min-p sampler does (0: off). Last, so positional construction keeps working.
    min_p: float = DEFAULT_MIN_P


class Candidate(msgspec.Struct, frozen=True):
    """One worker's finished answer, as the consensus engine sees it."""

    worker_id: str
    text: str
    node_id: str = "local"
    finish_reason: str = "stop"  # "stop" | "length" | "cancelled" | "error"
    completion_tokens: int = 0
    latency_s: float = 0.0  # request start -> answer complete
    ttft_s: float = 0.0  # request start -> first token
    mean_logprob: float | None = None
    # Per generated token: log-probability and end offset in ``text`` (see wire.Done).
    token_logprobs: list[float] = []
    token_ends: list[int] = []
    # The prompt as this worker's engine saw it, and how much of it came from its prefix cache.
    prompt_tokens: int = 0
    cached_tokens: int = 0
    stop_sequence: str | None = None  # the request's stop string that ended it, if one did


class Decision(msgspec.Struct, frozen=True):
    """What a consensus strategy decided about a list of candidates."""

    strategy: str
    winner: int  # index into the candidates; -1 when there was nothing to choose from
    scores: list[float]  # one per candidate, higher is better, 0..1
    groups: list[list[int]]  # candidate indices that the strategy considers the same answer
    agreement: float  # 0..1: how much the candidates agree with the winner
    # What users see as "k of N agree" plus the mean similarity.
    agree_count: int = 0  # candidates in the winner's group (k of len(scores)); 0: none valid
    mean_similarity: float = 0.0  # winner's mean similarity to the other candidates, 0..1


WorkerState = Literal["loading", "idle", "generating", "crashed", "restarting", "stopped"]
# A worker in one of these states takes requests; the others are down or on their way up.
READY_STATES: tuple[WorkerState, ...] = ("idle", "generating")
NodeState = Literal["ok", "degraded", "unavailable"]


def remote_worker_id(worker_id: str, node_id: str) -> str:
    """How a node names another node's worker (``w0@node-abc``), on its bus and in votes."""
    return f"{worker_id}@{node_id}"


class WorkerStatus(msgspec.Struct, frozen=True):
    worker_id: str
    node_id: str
    model: str
    backend: str
    state: WorkerState
    pid: int | None = None
    restarts: int = 0
    tokens_total: int = 0
    tokens_per_s: float = 0.0
    ttft_s: float = 0.0
    rss_bytes: int = 0
    last_error: str | None = None

    @property
    def ready(self) -> bool:
        return self.state in READY_STATES


def workers_ready(statuses: Sequence[WorkerStatus]) -> int:
    return sum(1 for s in statuses if s.ready)


def node_state(statuses: Sequence[WorkerStatus]) -> NodeState:
    """A node is ``ok`` with every worker ready, ``degraded`` with some, else unavailable."""
    ready = workers_ready(statuses)
    if statuses and ready == len(statuses):
        return "ok"
    return "degraded" if ready else "unavailable"


