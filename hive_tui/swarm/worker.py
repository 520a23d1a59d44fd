"""One supervised worker: a child process kept alive, its state, and its statistics.

A worker that dies is reported (``WorkerCrashed``), restarted after a back-off that doubles
with each quick failure, and announced again (``WorkerRestarted``). Requests in flight on a
dying worker end with ``WorkerDied``; the swarm drops that candidate from the vote.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psutil

from hive_tui import wire
from hive_tui.backends.process import BackendMissing, WorkerDied, WorkerProcess
from hive_tui.bus import EventBus

# A process that lived this long before dying is not crash-looping: start the back-off over.
STABLE_AFTER_S = 30.0


@dataclass(frozen=True)
class WorkerSpec:
    worker_id: str
    index: int
    backend: str
    load: wire.Load
    node_id: str = "local"
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


class Worker:
    def __init__(self, spec: WorkerSpec, bus: EventBus) -> None:
        self.spec = spec
        self._bus = bus
        self._process: WorkerProcess | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._busy = asyncio.Lock()  # one sequence per process for now
        self._stopping = False
        self.state: wire.WorkerState = "loading"
        self.model = ""
        self.restarts = 0
        self.tokens_total = 0
        self.tokens_per_s = 0.0
        self.ttft_s = 0.0
        self.last_error: str | None = None

    @property
    def worker_id(self) -> str:
        return self.spec.worker_id

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.alive else None

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> None:
        """Start supervising; returns once the first load succeeded or failed."""
        first_attempt = asyncio.get_running_loop().create_future()
        self._supervisor = asyncio.create_task(self._supervise(first_attempt))
        await first_attempt

    async def wait_ready(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        return self._ready.is_set()

    async def generate(self, request: wire.Generate) -> AsyncIterator[wire.WorkerFrame]:
        async with self._busy:
            process = self._process
            if process is None or not self._ready.is_set():
                raise WorkerDied(self.last_error or f"worker {self.worker_id} is not ready")
            self._set_state("generating")
            try:
                async for frame in process.generate(request):
                    if isinstance(frame, wire.Done):
                        self._record(frame)
                    yield frame
            finally:
                if self.state == "generating":
                    self._set_state("idle")

    def cancel(self, request_id: str) -> None:
        if self._process is not None:
            self._process.cancel(request_id)

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._process is not None:
            await self._process.stop()
        self._ready.clear()
        self._set_state("stopped")

    def status(self) -> wire.WorkerStatus:
        rss = 0
        if (pid := self.pid) is not None:
            with contextlib.suppress(psutil.Error):
                rss = psutil.Process(pid).memory_info().rss
        return wire.WorkerStatus(
            worker_id=self.worker_id,
            node_id=self.spec.node_id,
            model=self.model,
            backend=self.spec.backend,
            state=self.state,
            pid=self.pid,
            restarts=self.restarts,
            tokens_total=self.tokens_total,
            tokens_per_s=self.tokens_per_s,
            ttft_s=self.ttft_s,
            rss_bytes=rss,
            last_error=self.last_error,
        )

    # ------------------------------------------------------------------ supervision

    async def _supervise(self, first_attempt: asyncio.Future[None]) -> None:
        failures = 0
        while not self._stopping:
            process = WorkerProcess(self.spec.backend, self.spec.index)
            self._process = process
            started = time.monotonic()
            try:
                ready = await process.start(self.spec.load)
            except BackendMissing as exc:
                # No restart can install a library: say so once and stay down.
                self.last_error = str(exc)
                self._bus.publish(wire.WorkerCrashed(self.worker_id, self.last_error))
                self._set_state("stopped")
                if not first_attempt.done():
                    first_attempt.set_result(None)
                return
            except (WorkerDied, OSError) as exc:
                self.last_error = str(exc)
            else:
                self.model = ready.model
                if self.restarts or failures:
                    self._bus.publish(
                        wire.WorkerRestarted(self.worker_id, self.restarts, process.pid)
                    )
                self._ready.set()
                self._set_state("idle")
                if not first_attempt.done():
                    first_attempt.set_result(None)
                await process.wait()
                self._ready.clear()
                if self._stopping:
                    return
                self.last_error = process.exit_reason or "worker process exited"
            if not first_attempt.done():
                first_attempt.set_result(None)
            if self._stopping:
                return
            await process.kill()
            self._set_state("crashed")
            self._bus.publish(wire.WorkerCrashed(self.worker_id, self.last_error or "crashed"))
            failures = 1 if time.monotonic() - started > STABLE_AFTER_S else failures + 1
            delay = min(self.spec.backoff_initial_s * 2 ** (failures - 1), self.spec.backoff_max_s)
            self._set_state("restarting")
            await asyncio.sleep(delay)
            self.restarts += 1

    def _record(self, done: wire.Done) -> None:
        self.tokens_total += done.completion_tokens
        decode_s = done.gen_s - done.ttft_s
        if done.completion_tokens > 1 and decode_s > 0:
            self.tokens_per_s = (done.completion_tokens - 1) / decode_s
        self.ttft_s = done.ttft_s

    def _set_state(self, state: wire.WorkerState) -> None:
        if state != self.state:
            self.state = state
            self._bus.publish(wire.WorkerStateChanged(self.status()))
