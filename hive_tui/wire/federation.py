"""Frames between nodes of a hive (docs/federation.md is the spec)."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from hive_tui.wire.events import CoreEvent
from hive_tui.wire.framing import FrameError, encode
from hive_tui.wire.values import Candidate, ChatMessage, Decision, SamplingParams, WorkerStatus

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
    # A lender (hive --lend): the port of its RPC tunnel exit (on the address the link runs
    # over) and the memory it offers borrowers; 0 when it lends nothing.
    lend_port: int = 0
    lend_bytes: int = 0


class PeerGenerate(msgspec.Struct, tag="generate", frozen=True, forbid_unknown_fields=True):
    """Origin -> peer: run your local vote on this and send back a PeerLocalResult."""

    request_id: str
    messages: list[ChatMessage]
    params: SamplingParams
    strategy: str
    seed: int
    workers: int | None = None
    deadline_s: float = 60.0
    # A knowledge base the origin does not hold: a peer that holds it and marks it shared
    # grounds its answer on it; one that keeps it private refuses (PeerError).
    kb: str | None = None


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
T = TypeVar("T")


def _peer_decode(decoder: msgspec.msgpack.Decoder[T], data: bytes) -> T:
    if len(data) > MAX_PEER_FRAME_BYTES:
        raise FrameError(f"peer frame of {len(data)} bytes exceeds {MAX_PEER_FRAME_BYTES}")
    try:
        return decoder.decode(data)
    # msgspec raises UnicodeDecodeError (a ValueError) for a string that is not UTF-8.
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise FrameError(str(exc)) from exc


def decode_peer_frame(data: bytes) -> PeerFrame:
    """An inner frame (the bytes inside a PeerSealed envelope)."""
    return _peer_decode(peer_frame_decoder, data)


def decode_peer_link(data: bytes) -> PeerLinkFrame:
    """One websocket message: a handshake frame, a bare error, or a sealed envelope."""
    return _peer_decode(peer_link_decoder, data)


def encode_peer(msg: msgspec.Struct) -> bytes:
    body = encode(msg)
    if len(body) > MAX_PEER_FRAME_BYTES:
        raise FrameError(f"peer frame of {len(body)} bytes exceeds {MAX_PEER_FRAME_BYTES}")
    return body
