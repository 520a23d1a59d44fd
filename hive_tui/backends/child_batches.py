"""The child's main loop for an engine with several sequence slots (``BatchEngine``).

The node sends one ``Generate`` per slot, back to back, for every vote. The loop takes the
first, then whatever follows within a few milliseconds (up to the slot count), and hands them
to the engine together so the prompt is evaluated once; requests that arrive while a batch
runs join it between decode steps through ``ChildHost.admit``.
"""

from __future__ import annotations

import queue
import sys
import traceback

from hive_tui import wire
from hive_tui.backends.child_io import FrameWriter, Inbox, cancelled_before_start
from hive_tui.backends.engine import BatchEngine

# Frames of one vote arrive microseconds apart; a gap this long (generous, for a busy
# machine) means the burst is over.
GATHER_GAP_S = 0.02


class ChildHost:
    """The batch engine's view of the child: frames out, cancels and new requests in."""

    def __init__(self, inbox: Inbox, writer: FrameWriter) -> None:
        self._inbox = inbox
        self._writer = writer
        self.in_flight: list[wire.Generate] = []
        self.closing = False  # the node closed stdin or asked us to shut down

    def token(self, request: wire.Generate, text: str) -> None:
        self._writer.send(wire.TokenChunk(request.request_id, text, slot=request.slot))

    def done(self, done: wire.Done) -> None:
        self._settle(done.request_id, done.slot)
        self._writer.send(done)

    def failed(self, request: wire.Generate, message: str) -> None:
        self._settle(request.request_id, request.slot)
        rid, slot = request.request_id, request.slot
        self._writer.send(wire.WorkerError(message, request_id=rid, slot=slot))

    def cancelled(self, request: wire.Generate) -> bool:
        return self._inbox.is_cancelled(request.request_id, request.slot)

    def admit(self, free: int, wait_s: float = 0.0) -> list[wire.Generate]:
        taken: list[wire.Generate] = []
        while len(taken) < free and not self.closing:
            try:
                request = self._inbox.requests.get(timeout=wait_s) if wait_s else (
                    self._inbox.requests.get_nowait())
            except queue.Empty:
                break
            if request is None:
                self.closing = True
            else:
                taken.append(request)
        return self.accept(taken)

    def accept(self, requests: list[wire.Generate]) -> list[wire.Generate]:
        """The requests worth starting; one cancelled while it waited is answered at once."""
        taken = []
        for request in requests:
            if self.cancelled(request):
                self._writer.send(cancelled_before_start(request.request_id, request.slot))
                self._inbox.forget(request.request_id, request.slot)
            else:
                taken.append(request)
        self.in_flight.extend(taken)
        return taken

    def fail_all(self, message: str) -> None:
        for request in list(self.in_flight):
            self.failed(request, message)

    def _settle(self, request_id: str, slot: int) -> None:
        self.in_flight = [
            r for r in self.in_flight if (r.request_id, r.slot) != (request_id, slot)
        ]
        self._inbox.forget(request_id, slot)
        if not any(r.request_id == request_id for r in self.in_flight):
            self._inbox.forget(request_id)


def serve_batches(engine: BatchEngine, slots: int, inbox: Inbox, writer: FrameWriter) -> None:
    host = ChildHost(inbox, writer)
    while not host.closing:
        first = inbox.requests.get()
        if first is None:
            return
        requests = host.accept([first]) + host.admit(slots - 1, wait_s=GATHER_GAP_S)
        if not requests:
            continue
        try:
            engine.run_batch(requests, host)
        except Exception as exc:  # one bad batch must not kill the worker
            traceback.print_exc(file=sys.stderr)
            host.fail_all(f"{type(exc).__name__}: {exc}")
