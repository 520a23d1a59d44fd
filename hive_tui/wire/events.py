"""Core events: what the swarm publishes on its in-process bus, also streamed to remote
clients (``hive --connect``)."""

from __future__ import annotations

import msgspec

from hive_tui.wire.values import Candidate, ChatMessage, Decision, WorkerStatus


class RequestStarted(msgspec.Struct, tag="request_started", frozen=True):
    request_id: str
    messages: list[ChatMessage]
    strategy: str
    worker_ids: list[str]


class WorkerStarted(msgspec.Struct, tag="worker_started", frozen=True):
    request_id: str
    worker_id: str
    node_id: str
    seed: int


class TokenEvent(msgspec.Struct, tag="token", frozen=True):
    request_id: str
    worker_id: str
    text: str


class CandidateDone(msgspec.Struct, tag="candidate_done", frozen=True):
    request_id: str
    candidate: Candidate


class VoteDecided(msgspec.Struct, tag="vote_decided", frozen=True):
    request_id: str
    candidates: list[Candidate]
    decision: Decision
    degraded: bool
    missing: list[str] = []  # workers (or nodes) that were asked but gave no answer


class RequestFailed(msgspec.Struct, tag="request_failed", frozen=True):
    request_id: str
    message: str


class WorkerCrashed(msgspec.Struct, tag="worker_crashed", frozen=True):
    worker_id: str
    reason: str
    request_id: str | None = None


class WorkerRestarted(msgspec.Struct, tag="worker_restarted", frozen=True):
    worker_id: str
    restarts: int
    pid: int | None


class WorkerStateChanged(msgspec.Struct, tag="worker_state", frozen=True):
    status: WorkerStatus


CoreEvent = (
    RequestStarted
    | WorkerStarted
    | TokenEvent
    | CandidateDone
    | VoteDecided
    | RequestFailed
    | WorkerCrashed
    | WorkerRestarted
    | WorkerStateChanged
)

core_event_decoder = msgspec.msgpack.Decoder(CoreEvent)
core_event_json_decoder = msgspec.json.Decoder(CoreEvent)
