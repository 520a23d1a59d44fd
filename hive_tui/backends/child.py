"""Entry point of a worker child process: ``python -m hive_tui.backends.child BACKEND``.

Frames arrive on stdin and leave on stdout (see ``hive_tui.wire``). A reader thread takes
frames off stdin so that a ``Cancel`` is seen while the main thread is busy generating; the
main thread runs one request at a time through the engine, or, for an engine that serves
several sequence slots, batches of requests (``hive_tui.backends.child_batches``).

Native libraries like to print: before anything is loaded, the real stdout is kept aside for
frames and file descriptor 1 is pointed at stderr, so a stray printf can never corrupt the
frame stream.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
import traceback
from typing import BinaryIO

from hive_tui import wire
from hive_tui.backends.child_io import FrameWriter, Inbox, cancelled_before_start
from hive_tui.backends.engine import BackendUnavailable, BatchEngine, Engine, load_engine_class
from hive_tui.backends.process import EXIT_BACKEND_MISSING


def read_loop(stdin: BinaryIO, inbox: Inbox, writer: FrameWriter) -> None:
    try:
        while True:
            body = wire.read_frame_blocking(stdin)
            if body is None:
                break
            match wire.decode_worker_frame(body):
                case wire.Generate() as request:
                    inbox.requests.put(request)
                case wire.Cancel(request_id=request_id, slot=slot):
                    inbox.cancel(request_id, slot)
                case wire.Shutdown():
                    break
                case other:
                    writer.send(wire.WorkerError(f"unexpected frame {type(other).__name__}"))
    except wire.FrameError as exc:
        writer.send(wire.WorkerError(f"bad frame from node: {exc}", fatal=True))
    finally:
        # End of stdin means the node is gone or wants us gone: stop after the current token.
        inbox.requests.put(None)


def serve(engine: Engine, stdin: BinaryIO, writer: FrameWriter) -> None:
    body = wire.read_frame_blocking(stdin)
    if body is None:
        return
    match wire.decode_worker_frame(body):
        case wire.Load() as spec:
            pass
        case other:
            writer.send(wire.WorkerError(f"expected load, got {type(other).__name__}", fatal=True))
            return
    started = time.perf_counter()
    ready = engine.load(spec)
    writer.send(
        wire.Ready(
            backend=ready.backend,
            model=ready.model,
            n_ctx=ready.n_ctx,
            slots=ready.slots,
            pid=os.getpid(),
            load_s=time.perf_counter() - started,
        )
    )

    inbox = Inbox()
    reader = threading.Thread(target=read_loop, args=(stdin, inbox, writer), daemon=True)
    reader.start()
    if ready.slots > 1 and isinstance(engine, BatchEngine):
        from hive_tui.backends.child_batches import serve_batches

        serve_batches(engine, ready.slots, inbox, writer)
        return
    while (request := inbox.requests.get()) is not None:
        rid = request.request_id
        if inbox.is_cancelled(rid, request.slot):
            writer.send(cancelled_before_start(rid, request.slot))
            inbox.forget(rid)
            continue
        try:
            done = engine.generate(
                request,
                emit=functools.partial(writer.send_token, rid, request.slot),
                cancelled=functools.partial(inbox.is_cancelled, rid, request.slot),
            )
        except Exception as exc:  # one bad request must not kill the worker
            traceback.print_exc(file=sys.stderr)
            writer.send(wire.WorkerError(f"{type(exc).__name__}: {exc}", request_id=rid))
        else:
            writer.send(done)
        inbox.forget(rid)




def main(argv: list[str]) -> int:
    backend = argv[1] if len(argv) > 1 else "llama"
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    writer = FrameWriter(frames_out)
    try:
        engine = load_engine_class(backend)()
        serve(engine, sys.stdin.buffer, writer)
    except BackendUnavailable as exc:
        writer.send(wire.WorkerError(str(exc), fatal=True))
        return EXIT_BACKEND_MISSING
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        writer.send(wire.WorkerError(f"{type(exc).__name__}: {exc}", fatal=True))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
