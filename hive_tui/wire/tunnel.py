"""Frames of the RPC tunnel: llama.cpp RPC bytes carried between a borrowing node and a lender.

One TCP connection per RPC connection, length-prefixed (``framing``). The handshake is the
federation's own (``PeerHello``, ``PeerAuth``, ``PeerError`` travel bare, in a separate key
domain); after it every message is a ``TunnelSealed`` chunk of the byte stream.
"""

from __future__ import annotations

import msgspec

from hive_tui.wire.federation import PeerAuth, PeerError, PeerHello
from hive_tui.wire.framing import FrameError

# The tunnel reads at most this much from a socket before sealing it: large enough that the
# per-frame cost vanishes next to a tensor upload, small enough to keep latency and memory low.
TUNNEL_CHUNK_BYTES = 256 * 1024
# A sealed chunk plus its envelope; anything longer is a protocol violation.
MAX_TUNNEL_FRAME_BYTES = TUNNEL_CHUNK_BYTES + 1024


class TunnelSealed(msgspec.Struct, tag="rpc_data", frozen=True, forbid_unknown_fields=True):
    """A chunk of the RPC byte stream, or its end.

    mac = HMAC-SHA256(direction key, seq as 8 bytes big-endian || end as 1 byte || data); seq
    counts from 0 in each direction and must be exactly the next one; ``end`` says the sender
    will write no more (half close)."""

    seq: int
    data: bytes
    mac: bytes
    end: bool = False


TunnelLinkFrame = PeerHello | PeerAuth | PeerError | TunnelSealed

tunnel_link_decoder = msgspec.msgpack.Decoder(TunnelLinkFrame)


def decode_tunnel_link(data: bytes) -> TunnelLinkFrame:
    if len(data) > MAX_TUNNEL_FRAME_BYTES:
        raise FrameError(f"tunnel frame of {len(data)} bytes exceeds {MAX_TUNNEL_FRAME_BYTES}")
    try:
        return tunnel_link_decoder.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise FrameError(str(exc)) from exc


class SplitRun(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What ``python -m hive_tui.bench.split_model`` prints (JSON, one line): a greedy answer
    of a model whose offloaded layers ran on the given RPC servers."""

    text: str
    tokens: int
    seconds: float
    rpc_servers: list[str]
    n_gpu_layers: int
