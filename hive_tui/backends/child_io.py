"""What a worker child reads and writes besides the engine: frames out under a lock, and the
inbox the reader thread fills (requests queued, cancels flagged at once). Shared by the
one-request loop (``child``) and the batch loop (``child_batches``)."""

from __future__ import annotations

import queue
import threading
from typing import BinaryIO

from hive_tui import wire

CANCELS_REMEMBERED = 1024


class FrameWriter:
    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, msg: wire.WorkerFrame) -> None:
        data = wire.frame(msg)
        with self._lock:
            self._stream.write(data)
            self._stream.flush()

    def send_token(self, request_id: str, slot: int, text: str) -> None:
        self.send(wire.TokenChunk(request_id=request_id, text=text, slot=slot))


class Inbox:
    """Frames read by the reader thread: generate requests queued, cancels flagged at once."""

    def __init__(self) -> None:
        self.requests: queue.Queue[wire.Generate | None] = queue.Queue()
        # Insertion-ordered, so a cancel that arrives after its request finished (a race the
        # node cannot avoid) is forgotten once enough newer ones arrived. Keyed by (request,
        # slot); slot None cancels every slot of that request in this process.
        self._cancelled: dict[tuple[str, int | None], None] = {}
        self._lock = threading.Lock()

    def cancel(self, request_id: str, slot: int | None = None) -> None:
        with self._lock:
            self._cancelled[(request_id, slot)] = None
            while len(self._cancelled) > CANCELS_REMEMBERED:
                del self._cancelled[next(iter(self._cancelled))]

    def is_cancelled(self, request_id: str, slot: int = 0) -> bool:
        with self._lock:
            return (request_id, None) in self._cancelled or (request_id, slot) in self._cancelled

    def forget(self, request_id: str, slot: int | None = None) -> None:
        """Drop the cancels of one slot, or with slot None every cancel of the request."""
        with self._lock:
            self._cancelled.pop((request_id, slot), None)
            if slot is None:
                for key in [k for k in self._cancelled if k[0] == request_id]:
                    del self._cancelled[key]


def cancelled_before_start(request_id: str, slot: int) -> wire.Done:
    return wire.Done(
        request_id=request_id,
        text="",
        finish_reason="cancelled",
        prompt_tokens=0,
        completion_tokens=0,
        ttft_s=0.0,
        gen_s=0.0,
        slot=slot,
    )
