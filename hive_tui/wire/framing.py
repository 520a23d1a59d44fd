"""Length-prefixed framing on byte streams: 4 bytes big-endian length, then msgpack.

Nothing here does I/O beyond the two small helpers for blocking and asyncio streams."""

from __future__ import annotations

import asyncio
import struct
from typing import IO

import msgspec

from hive_tui.errors import HiveError

# A frame is a prompt, a token or a finished answer; 16 MiB is far above any of them and
# keeps a corrupt length prefix from making us allocate gigabytes.
MAX_FRAME_BYTES = 16 * 1024 * 1024

_LEN = struct.Struct(">I")


class FrameError(HiveError):
    """A frame could not be read or decoded (truncated, oversized or malformed)."""


_encoder = msgspec.msgpack.Encoder()


def encode(msg: msgspec.Struct) -> bytes:
    return _encoder.encode(msg)


def frame(msg: msgspec.Struct) -> bytes:
    """Length-prefixed msgpack bytes for one message."""
    body = _encoder.encode(msg)
    if len(body) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(body)} bytes exceeds {MAX_FRAME_BYTES}")
    return _LEN.pack(len(body)) + body


def _check_length(n: int) -> int:
    if n > MAX_FRAME_BYTES:
        raise FrameError(f"frame length {n} exceeds {MAX_FRAME_BYTES}")
    return n


def read_frame_blocking(stream: IO[bytes]) -> bytes | None:
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
