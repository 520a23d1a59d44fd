"""Every message that crosses a process or network boundary.

Three tagged unions, each with one typed decoder:

* ``WorkerFrame`` travels between a node and its worker child processes (stdin/stdout pipes).
* ``CoreEvent`` is what the swarm publishes on its in-process bus; the same structs are
  streamed to remote clients (``hive --connect``), so they live here too.
* Shared value types (``ChatMessage``, ``SamplingParams``, ``Candidate``, ``Decision``,
  ``WorkerStatus``) appear inside both.

Frames on a byte stream are length-prefixed: 4 bytes big-endian length, then msgpack.
Nothing here does I/O beyond the two small framing helpers for blocking and asyncio streams.
"""

from __future__ import annotations

import asyncio
import struct
from typing import BinaryIO, Literal

import msgspec

PROTOCOL_VERSION = 1
# A frame is a prompt, a token or a finished answer; 16 MiB is far above any of them and
# keeps a corrupt length prefix from making us allocate gigabytes.
MAX_FRAME_BYTES = 16 * 1024 * 1024

_LEN = struct.Struct(">I")


class FrameError(Exception):
    """A frame could not be read or decoded (truncated, oversized or malformed)."""


# --------------------------------------------------------------------------- value types


class ChatMessage(msgspec.Struct, frozen=True):
    role: str
    content: str


class SamplingParams(msgspec.Struct, frozen=True):
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    max_tokens: int = 256
    stop: list[str] = []
    seed: int = 0


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


class Decision(msgspec.Struct, frozen=True):
    """What a consensus strategy decided about a list of candidates."""

    strategy: str
    winner: int  # index into the candidates; -1 when there was nothing to choose from
    scores: list[float]  # one per candidate, higher is better, 0..1
    groups: list[list[int]]  # candidate indices that the strategy considers the same answer
    agreement: float  # 0..1: how much the candidates agree with the winner
    # --- quality issue: what users see as "k of N agree" plus the mean similarity.
    agree_count: int = 0  # candidates in the winner's group (k of len(scores)); 0: none valid
    mean_similarity: float = 0.0  # winner's mean similarity to the other candidates, 0..1


WorkerState = Literal["loading", "idle", "generating", "crashed", "restarting", "stopped"]


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


# --------------------------------------------------------------------------- worker frames
# node -> worker


class Load(msgspec.Struct, tag="load", frozen=True):
    model_path: str
    n_ctx: int = 2048
    n_threads: int = 1
    n_gpu_layers: int = 0
    slots: int = 1


class Generate(msgspec.Struct, tag="generate", frozen=True):
    request_id: str
    messages: list[ChatMessage]
    params: SamplingParams
    slot: int = 0
    # --- quality issue: False skips the per-token log-probability (to measure what it costs).
    logprobs: bool = True


class Cancel(msgspec.Struct, tag="cancel", frozen=True):
    request_id: str


class Shutdown(msgspec.Struct, tag="shutdown", frozen=True):
    pass


# worker -> node


class Ready(msgspec.Struct, tag="ready", frozen=True):
    backend: str
    model: str
    n_ctx: int
    slots: int
    pid: int
    load_s: float


class TokenChunk(msgspec.Struct, tag="token", frozen=True):
    request_id: str
    text: str
    slot: int = 0


class Done(msgspec.Struct, tag="done", frozen=True):
    request_id: str
    text: str
    finish_reason: str  # "stop" | "length" | "cancelled"
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float  # generate received -> first token
    gen_s: float  # generate received -> done
    mean_logprob: float | None = None
    slot: int = 0
    # --- quality issue: seconds of gen_s spent computing log-probabilities (their cost).
    logprob_s: float = 0.0


class WorkerError(msgspec.Struct, tag="error", frozen=True):
    message: str
    request_id: str | None = None
    fatal: bool = False


WorkerFrame = Load | Generate | Cancel | Shutdown | Ready | TokenChunk | Done | WorkerError

# --------------------------------------------------------------------------- core events


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

# --------------------------------------------------------------------------- codecs

_encoder = msgspec.msgpack.Encoder()
worker_frame_decoder = msgspec.msgpack.Decoder(WorkerFrame)
core_event_decoder = msgspec.msgpack.Decoder(CoreEvent)
core_event_json_decoder = msgspec.json.Decoder(CoreEvent)


def encode(msg: msgspec.Struct) -> bytes:
    return _encoder.encode(msg)


def frame(msg: msgspec.Struct) -> bytes:
    """Length-prefixed msgpack bytes for one message."""
    body = _encoder.encode(msg)
    if len(body) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(body)} bytes exceeds {MAX_FRAME_BYTES}")
    return _LEN.pack(len(body)) + body


def decode_worker_frame(body: bytes) -> WorkerFrame:
    try:
        return worker_frame_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise FrameError(str(exc)) from exc


def _check_length(n: int) -> int:
    if n > MAX_FRAME_BYTES:
        raise FrameError(f"frame length {n} exceeds {MAX_FRAME_BYTES}")
    return n


def read_frame_blocking(stream: BinaryIO) -> bytes | None:
    """Read one frame body from a blocking binary stream; None at a clean end of stream."""
    head = stream.read(_LEN.size)
    if not head:
        return None
    if len(head) < _LEN.size:
        raise FrameError("truncated frame header")
    n = _check_length(_LEN.unpack(head)[0])
    body = stream.read(n)
    if len(body) < n:
        raise FrameError("truncated frame body")
    return body


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """Read one frame body from an asyncio stream; None at a clean end of stream."""
    try:
        head = await reader.readexactly(_LEN.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise FrameError("truncated frame header") from exc
    n = _check_length(_LEN.unpack(head)[0])
    try:
        return await reader.readexactly(n)
    except asyncio.IncompleteReadError as exc:
        raise FrameError("truncated frame body") from exc
