"""One supervised engine child process, serving one or more sequence slots.

Each slot is a ``Worker`` in the swarm's eyes (``hive_tui.swarm.worker``); this object owns
what they share: the child process, its restarts, its load. A process that dies takes every
slot's request with it (the swarm drops those candidates); it is reported for each slot
(``WorkerCrashed``), restarted after a back-off that doubles with each quick failure, and
announced again (``WorkerRestarted``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from dataclasses import dataclass
from typing import Protocol

from hive_tui import wire
from hive_tui.backends.process import BackendMissing, WorkerDied, WorkerProcess
from hive_tui.bus import EventBus


class SlotView(Protocol):
    """What the process needs of each worker on its slots (``hive_tui.swarm.worker.Worker``):
    a name for the events it publishes and a state to keep current. A protocol rather than
    an import, so the worker module may import this one and not the other way round."""

    @property
    def worker_id(self) -> str: ...

    def set_state(self, state: wire.WorkerState) -> None: ...

# A process that lived this long before dying is not crash-looping: start the back-off over.
STABLE_AFTER_S = 30.0
# The engine a backend's child runs when one process serves several slots.
BATCHED_ENGINES = {"llama": "llama-batched", "scripted": "scripted"}


@dataclass(frozen=True)
class ProcessSpec:
    index: int  # the first worker index it serves (scripted answers and logs go by it)
    backend: str
    load: wire.Load  # load.slots: how many slot workers it serves
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0

    @property
    def child_backend(self) -> str:
        # With GPU layers even one slot gets the batched engine: it can leave flash attention
        # to llama.cpp ("auto"), which llama-cpp-python's Llama class cannot ask for.
        if self.load.slots > 1 or (self.backend == "llama" and self.load.n_gpu_layers != 0):
            return BATCHED_ENGINES.get(self.backend, self.backend)
        return self.backend


class EngineProcess:
    def __init__(self, spec: ProcessSpec, bus: EventBus) -> None:
        self.spec = spec
        self._bus = bus
        self.views: list[SlotView] = []
        self.process: WorkerProcess | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._first_attempt: asyncio.Future[None] | None = None
        self.ready = asyncio.Event()
        self._stopping = False
        self._stopper: asyncio.Task[None] | None = None
        self.model = ""
        self.restarts = 0
        self.last_error: str | None = None
        self._reloading = False

    async def reload(self, load: wire.Load) -> None:
        """Start over with another load (a model split across lenders, or back to this node
        alone): the running child ends (its requests with it) and the next one loads ``load``
        at once, reported as a restart, not a crash."""
        self.spec = dataclasses.replace(self.spec, load=load)
        if self._first_attempt is None:
            return  # not started yet: start() loads the new one
        self._reloading = True
        if self.process is not None:
            await self.process.stop()

    def attach(self, worker: SlotView) -> None:
        self.views.append(worker)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.alive else None

    async def start(self) -> None:
        """Start supervising (once, however many slots ask); returns after the first load."""
        if self._first_attempt is None:
            self._first_attempt = asyncio.get_running_loop().create_future()
            self._supervisor = asyncio.create_task(self._supervise(self._first_attempt))
        await asyncio.shield(self._first_attempt)

    async def stop(self) -> None:
        """Stop the process (once, however many slots ask; each waits for it)."""
        if self._stopper is None:
            self._stopper = asyncio.create_task(self._stop())
        await asyncio.shield(self._stopper)

    async def _stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self.process is not None:
            await self.process.stop()
        self.ready.clear()
        self._set_state("stopped")

    async def _supervise(self, first_attempt: asyncio.Future[None]) -> None:
        failures = 0
        while not self._stopping:
            process = WorkerProcess(self.spec.child_backend, self.spec.index)
            self.process = process
            started = time.monotonic()
            try:
                ready = await process.start(self.spec.load)
            except BackendMissing as exc:
                # No restart can install a library: say so once and stay down.
                self.last_error = str(exc)
                for view in self.views:
                    self._bus.publish(wire.WorkerCrashed(view.worker_id, self.last_error))
                self._set_state("stopped")
                if not first_attempt.done():
                    first_attempt.set_result(None)
                return
            except (WorkerDied, OSError) as exc:
                if self._reloading:  # stopped while loading the old load: load the new one
                    self._reloading = False
                    continue
                self.last_error = str(exc)
            else:
                self.model = ready.model
                if self.restarts or failures:
                    for view in self.views:
                        self._bus.publish(
                            wire.WorkerRestarted(view.worker_id, self.restarts, process.pid)
                        )
                self.ready.set()
                self._set_state("idle")
                if not first_attempt.done():
                    first_attempt.set_result(None)
                await process.wait()
                self.ready.clear()
                if self._stopping:
                    return
                if self._reloading:
                    self._reloading = False
                    self.restarts += 1
                    self._set_state("restarting")
                    continue
                self.last_error = process.exit_reason or "worker process exited"
            if not first_attempt.done():
                first_attempt.set_result(None)
            if self._stopping:
                return
            await process.kill()
            self._set_state("crashed")
            for view in self.views:
                self._bus.publish(wire.WorkerCrashed(view.worker_id, self.last_error or "crashed"))
            failures = 1 if time.monotonic() - started > STABLE_AFTER_S else failures + 1
            delay = min(self.spec.backoff_initial_s * 2 ** (failures - 1), self.spec.backoff_max_s)
            self._set_state("restarting")
            await asyncio.sleep(delay)
            self.restarts += 1

    def _set_state(self, state: wire.WorkerState) -> None:
        for view in self.views:
            view.set_state(state)
