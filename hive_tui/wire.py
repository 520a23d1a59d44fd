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


# --- tools (issue 6): tools offered to the model; rendered into the prompt by the engine.
class ToolSpec(msgspec.Struct, frozen=True):
    name: str
    description: str = ""
    # The JSON schema of the arguments as JSON text: a client's schema may hold numbers that
    # msgpack cannot carry (integers past 64 bits), and the engine only renders it anyway.
    parameters_json: str = "{}"


class Generate(msgspec.Struct, tag="generate", frozen=True):
    request_id: str
    messages: list[ChatMessage]
    params: SamplingParams
    slot: int = 0
    tools: list[ToolSpec] = []  # issue 6: empty = no tools offered
    # --- quality issue: False skips the per-token log-probability (to measure what it costs).
    logprobs: bool = True


class Cancel(msgspec.Struct, tag="cancel", frozen=True):
    request_id: str
    slot: int | None = None  # None: every slot of the process serving this request


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
    slot: int | None = None  # None: every slot of the process serving this request


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


# --- hardware report and plan
# What `hive hardware --json` and `hive models --json` print, and what a node will later send to
# its peers so they can compare machines. Sizes are bytes; None means "the source could not say".


class Device(msgspec.Struct, frozen=True, kw_only=True):
    """One accelerator (or, for unified-memory machines, the SoC) as a detector saw it."""

    vendor: str  # "nvidia" | "amd" | "intel" | "apple" | "qualcomm" | "cpu"
    name: str
    index: int = 0
    # the llama.cpp backend that would drive it: "cuda", "rocm", "sycl", "metal", "cpu"
    backend: str = ""
    total_memory_bytes: int | None = None
    free_memory_bytes: int | None = None
    utilisation_percent: float | None = None
    temperature_c: float | None = None
    unified_memory: bool = False  # memory shared with the CPU (Apple, phones, APUs, iGPUs)


class ProbeResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one detection source found; found=False always carries the reason."""

    # "nvml", "nvidia-smi", "rocm-smi", "amd-smi", "sycl-ls", "sysctl", "termux", "psutil"
    source: str
    found: bool
    reason: str = ""
    devices: list[Device] = []


class CpuInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    architecture: str
    physical_cores: int
    logical_cores: int  # the cores this process may run on (what `nproc` says)
    total_ram_bytes: int
    available_ram_bytes: int
    load_average_1m: float | None = None


class HardwareReport(msgspec.Struct, frozen=True, kw_only=True):
    platform: str
    cpu: CpuInfo
    gpus: list[Device] = []  # every accelerator any probe found, in probe order
    probes: list[ProbeResult] = []


class MemoryBudget(msgspec.Struct, frozen=True, kw_only=True):
    """Memory the workers may use, split into pools: one per GPU, or a single RAM pool."""

    kind: str  # "gpu" | "unified" | "ram"
    usable_bytes: int
    pools: list[int]  # one model copy must fit inside one pool
    explanation: str
    device_names: list[str] = []


class ModelFile(msgspec.Struct, frozen=True, kw_only=True):
    """A GGUF file on this machine, described from its own metadata."""

    path: str
    name: str
    source: str  # "embedded" | "huggingface" | "lmstudio" | "llama.cpp" | "ollama" | "models_dir"
    file_size_bytes: int
    architecture: str | None = None
    parameter_count: int | None = None
    size_label: str | None = None
    quantisation: str | None = None
    context_length: int | None = None
    layer_count: int | None = None
    kv_bytes_per_token: int | None = None  # f16 K+V cache per token of context, from the metadata


class ModelCatalog(msgspec.Struct, frozen=True, kw_only=True):
    models: list[ModelFile] = []
    searched: list[str] = []  # folders looked at, so a user can see why a file was not found
    problems: list[str] = []  # unreadable files and manifests, one line each


class ModelSuggestion(msgspec.Struct, frozen=True, kw_only=True):
    """A model size the plan would like, with a well-known GGUF to pull for it."""

    size_label: str
    parameter_count: int
    quantisation: str
    approx_file_bytes: int
    repo: str = ""
    filename: str = ""


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    budget: MemoryBudget
    target: ModelSuggestion  # what the memory alone calls for
    model: ModelFile | None  # the best local file that fits, None when nothing fits
    preferred: ModelSuggestion | None  # a larger model worth pulling, None when `model` is enough
    workers: int
    threads_per_worker: int
    n_gpu_layers: int  # -1: every layer on the GPU; 0: CPU only
    context_length: int
    per_worker_bytes: int
    reasons: list[str] = []


class HardwareSummary(msgspec.Struct, frozen=True, kw_only=True):
    report: HardwareReport
    plan: Plan


# --- federation frames ----------------------------------------------------------------------
# Node <-> node, one websocket binary message per frame (docs/federation.md is the spec).
# Before authentication only PeerHello, PeerAuth and PeerError travel bare. After it, every
# frame travels inside a PeerSealed envelope whose MAC covers the sequence number and the exact
# encoded bytes of the inner frame, so a flipped byte anywhere fails the MAC check.
# forbid_unknown_fields: a flipped byte in a field name must fail decoding, not be ignored.

PEER_PROTOCOL_VERSION = 1
# A local result carries every candidate of a node (a few KiB each); 4 MiB is far above that.
MAX_PEER_FRAME_BYTES = 4 * 1024 * 1024
PEER_NONCE_BYTES = 32


class PeerHello(msgspec.Struct, tag="hello", frozen=True, forbid_unknown_fields=True):
    """First frame each side sends: the protocol version and a fresh random nonce."""

    version: int
    nonce: bytes


class PeerAuth(msgspec.Struct, tag="auth", frozen=True, forbid_unknown_fields=True):
    """Proof of the shared secret: HMAC over both hellos' exact bytes, the role and node id."""

    node_id: str
    proof: bytes


class PeerStatus(msgspec.Struct, tag="status", frozen=True, forbid_unknown_fields=True):
    """Sent right after authentication and then as the heartbeat."""

    node_id: str
    name: str
    model: str
    backend: str
    api_port: int
    workers_ready: int
    workers: list[WorkerStatus] = []
    active_requests: int = 0


class PeerGenerate(msgspec.Struct, tag="generate", frozen=True, forbid_unknown_fields=True):
    """Origin -> peer: run your local vote on this and send back a PeerLocalResult."""

    request_id: str
    messages: list[ChatMessage]
    params: SamplingParams
    strategy: str
    seed: int
    workers: int | None = None
    deadline_s: float = 60.0


class PeerProgress(msgspec.Struct, tag="progress", frozen=True, forbid_unknown_fields=True):
    """Peer -> origin: one core event of the peer's local vote (worker started, token...)."""

    request_id: str
    event: CoreEvent


class PeerLocalResult(msgspec.Struct, tag="local_result", frozen=True, forbid_unknown_fields=True):
    request_id: str
    node_id: str
    seed: int
    candidates: list[Candidate]
    decision: Decision
    degraded: bool = False
    missing: list[str] = []
    prompt_tokens: int = 0


class PeerCancel(msgspec.Struct, tag="cancel", frozen=True, forbid_unknown_fields=True):
    request_id: str


class PeerError(msgspec.Struct, tag="error", frozen=True, forbid_unknown_fields=True):
    message: str
    request_id: str | None = None
    fatal: bool = False  # the sender closes the connection after a fatal error


class PeerBye(msgspec.Struct, tag="bye", frozen=True, forbid_unknown_fields=True):
    reason: str = ""


PeerFrame = (
    PeerHello
    | PeerAuth
    | PeerStatus
    | PeerGenerate
    | PeerProgress
    | PeerLocalResult
    | PeerCancel
    | PeerError
    | PeerBye
)


class PeerSealed(msgspec.Struct, tag="sealed", frozen=True, forbid_unknown_fields=True):
    """The envelope of every frame after authentication.

    mac = HMAC-SHA256(direction key, seq as 8 bytes big-endian || frame); seq counts from 0 in
    each direction and must be exactly the next one."""

    seq: int
    frame: bytes  # the encoded inner PeerFrame, exactly as MACed
    mac: bytes


PeerLinkFrame = PeerHello | PeerAuth | PeerError | PeerSealed

peer_frame_decoder = msgspec.msgpack.Decoder(PeerFrame)
peer_link_decoder = msgspec.msgpack.Decoder(PeerLinkFrame)


def _peer_decode(decoder: msgspec.msgpack.Decoder, data: bytes) -> object:
    if len(data) > MAX_PEER_FRAME_BYTES:
        raise FrameError(f"peer frame of {len(data)} bytes exceeds {MAX_PEER_FRAME_BYTES}")
    try:
        return decoder.decode(data)
    # msgspec raises UnicodeDecodeError (a ValueError) for a string that is not UTF-8.
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise FrameError(str(exc)) from exc


def decode_peer_frame(data: bytes) -> PeerFrame:
    """An inner frame (the bytes inside a PeerSealed envelope)."""
    return _peer_decode(peer_frame_decoder, data)  # type: ignore[return-value]


def decode_peer_link(data: bytes) -> PeerLinkFrame:
    """One websocket message: a handshake frame, a bare error, or a sealed envelope."""
    return _peer_decode(peer_link_decoder, data)  # type: ignore[return-value]


def encode_peer(msg: msgspec.Struct) -> bytes:
    body = _encoder.encode(msg)
    if len(body) > MAX_PEER_FRAME_BYTES:
        raise FrameError(f"peer frame of {len(body)} bytes exceeds {MAX_PEER_FRAME_BYTES}")
    return body
