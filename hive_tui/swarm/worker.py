"""One worker as the swarm sees it: one sequence slot of a supervised engine process.

A process may serve several slots (``EngineProcess``, one copy of the weights for K votes);
each slot is still a worker with its own id, state, statistics and candidate, so the vote, the
API and the UI see no difference. Supervision (restarts, back-off) lives in the process
object and is shared by its slots: a process that dies takes every slot's request with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgspec
import psutil

from hive_tui import wire
from hive_tui.backends.process import WorkerDied
from hive_tui.bus import EventBus
from hive_tui.swarm.engine_process import EngineProcess, ProcessSpec


@dataclass(frozen=True)
class WorkerSpec:
    worker_id: str
    index: int
    backend: str
    load: wire.Load
    node_id: str = "local"
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    slot: int = 0  # which of its process's worker slots this worker is
    concurrency: int = 1  # votes it serves at once, each a sequence of its process's batch


class Worker:
    def __init__(
        self, spec: WorkerSpec, bus: EventBus, engine: EngineProcess | None = None
    ) -> None:
        """``engine``: the process this slot shares; without one, a process of its own."""
        self.spec = spec
        self._bus = bus
        self.engine = engine or EngineProcess(
            ProcessSpec(spec.index, spec.backend, spec.load, spec.backoff_initial_s,
                        spec.backoff_max_s),
            bus,
        )
        self.engine.attach(self)
        # One sequence per vote it serves; the process holds a sequence for each of them.
        self._busy = asyncio.Semaphore(max(1, spec.concurrency))
        self._running = 0
        self.state: wire.WorkerState = "loading"
        self.tokens_total = 0
        self.tokens_per_s = 0.0
        self.ttft_s = 0.0

    @property
    def worker_id(self) -> str:
        return self.spec.worker_id

    @property
    def pid(self) -> int | None:
        return self.engine.pid

    @property
    def model(self) -> str:
        return self.engine.model

    @property
    def restarts(self) -> int:
        return self.engine.restarts

    @property
    def last_error(self) -> str | None:
        return self.engine.last_error

    @property
    def is_ready(self) -> bool:
        return self.engine.ready.is_set() and self.state != "stopped"

    async def start(self) -> None:
        """Start supervising; returns once the first load succeeded or failed."""
        await self.engine.start()

    async def wait_ready(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.engine.ready.wait(), timeout_s)
        return self.is_ready

    async def generate(self, request: wire.Generate) -> AsyncIterator[wire.WorkerFrame]:
        async with self._busy:
            process = self.engine.process
            if process is None or not self.is_ready:
                raise WorkerDied(self.last_error or f"worker {self.worker_id} is not ready")
            request = msgspec.structs.replace(request, slot=self.spec.slot)
            self._running += 1
            self.set_state("generating")
            try:
                async for frame in process.generate(request):
                    if isinstance(frame, wire.Done):
                        self._record(frame)
                    yield frame
            finally:
                self._running -= 1
                if self.state == "generating" and not self._running:
                    self.set_state("idle")

    def cancel(self, request_id: str) -> None:
        if self.engine.process is not None:
            self.engine.process.cancel(request_id, self.spec.slot)

    async def stop(self) -> None:
        """Stops the process, and with it every slot it serves (the swarm stops them all)."""
        await self.engine.stop()
        self.set_state("stopped")

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

    def _record(self, done: wire.Done) -> None:
        self.tokens_total += done.completion_tokens
        decode_s = done.gen_s - done.ttft_s
        if done.completion_tokens > 1 and decode_s > 0:
            self.tokens_per_s = (done.completion_tokens - 1) / decode_s
        self.ttft_s = done.ttft_s

    def set_state(self, state: wire.WorkerState) -> None:
        if state != self.state:
            self.state = state
            self._bus.publish(wire.WorkerStateChanged(self.status()))
