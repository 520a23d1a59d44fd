"""The node's side of one worker child process: spawn it, speak frames to it, notice its death.

This is transport only. Supervision (restarts, state, statistics) lives in
``hive_tui.swarm.worker``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import sys
from collections.abc import AsyncIterator

from hive_tui import wire
from hive_tui.errors import HiveError

# llama.cpp and Python write their complaints to stderr; the last lines explain a crash.
STDERR_LINES_KEPT = 40


class WorkerDied(HiveError):
    """The child process exited or broke the frame stream."""


class BackendMissing(WorkerDied):
    """The backend's library is not installed: restarting the worker cannot help."""


# The exit status a child uses for BackendUnavailable (see hive_tui.backends.child).
EXIT_BACKEND_MISSING = 3


class WorkerProcess:
    def __init__(self, backend: str, index: int, extra_env: dict[str, str] | None = None) -> None:
        self.backend = backend
        self.index = index
        self._extra_env = extra_env or {}
        self._proc: asyncio.subprocess.Process | None = None
        # One stream per (request, slot): a process with several slots serves one request id
        # in several of them at once (every slot of a vote shares the vote's id).
        self._streams: dict[tuple[str, int], asyncio.Queue[wire.WorkerFrame | None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self.ready: wire.Ready | None = None
        self.exit_reason: str | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None and self.exit_reason is None

    async def start(self, spec: wire.Load, timeout_s: float = 300.0) -> wire.Ready:
        env = dict(os.environ)
        env.update(self._extra_env)
        env["HIVE_WORKER_INDEX"] = str(self.index)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hive_tui.backends.child",
            self.backend,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=wire.MAX_FRAME_BYTES + 4,
        )
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        self._send(spec)
        try:
            first = await asyncio.wait_for(self._read_one(), timeout_s)
        except (TimeoutError, wire.FrameError) as exc:
            await self.kill()
            raise WorkerDied(f"worker did not become ready: {exc or 'timeout'}") from exc
        match first:
            case wire.Ready() as ready:
                self.ready = ready
            case wire.WorkerError(message=message):
                try:
                    code = await asyncio.wait_for(self._proc.wait(), 5.0)
                except TimeoutError:
                    code = None
                await self.kill()
                if code == EXIT_BACKEND_MISSING:
                    raise BackendMissing(message)
                raise WorkerDied(message)
            case None:
                await self._proc.wait()
                raise WorkerDied(self._death_note())
            case other:
                await self.kill()
                raise WorkerDied(f"unexpected first frame {type(other).__name__}")
        self._reader = asyncio.create_task(self._read_loop())
        return self.ready

    async def generate(self, request: wire.Generate) -> AsyncIterator[wire.WorkerFrame]:
        """Send a request; yield its TokenChunks and finally its Done or WorkerError.

        Raises WorkerDied if the child goes away before the answer is complete.
        """
        if not self.alive:
            raise WorkerDied(self.exit_reason or "worker is not running")
        stream: asyncio.Queue[wire.WorkerFrame | None] = asyncio.Queue()
        key = (request.request_id, request.slot)
        self._streams[key] = stream
        try:
            self._send(request)
            while True:
                frame = await stream.get()
                if frame is None:
                    raise WorkerDied(self.exit_reason or "worker exited")
                yield frame
                if isinstance(frame, wire.Done | wire.WorkerError):
                    return
        finally:
            self._streams.pop(key, None)

    def cancel(self, request_id: str, slot: int | None = None) -> None:
        if self.alive:
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._send(wire.Cancel(request_id=request_id, slot=slot))

    async def stop(self, grace_s: float = 3.0) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._send(wire.Shutdown())
                if proc.stdin:
                    proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), grace_s)
            except TimeoutError:
                await self.kill()
        await self._finish_tasks()

    async def kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        await self._finish_tasks()

    async def wait(self) -> int:
        assert self._proc is not None
        return await self._proc.wait()

    # ------------------------------------------------------------------ internals

    def _send(self, msg: wire.WorkerFrame) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(wire.frame(msg))

    async def _read_one(self) -> wire.WorkerFrame | None:
        assert self._proc is not None and self._proc.stdout is not None
        body = await wire.read_frame(self._proc.stdout)
        return None if body is None else wire.decode_worker_frame(body)

    async def _read_loop(self) -> None:
        try:
            while (frame := await self._read_one()) is not None:
                streams = self._streams_for(frame)
                for stream in streams:
                    stream.put_nowait(frame)
                if not streams and isinstance(frame, wire.WorkerError) and frame.fatal:
                    self.exit_reason = frame.message
        except wire.FrameError as exc:
            self.exit_reason = f"broken frame stream: {exc}"
        assert self._proc is not None
        await self._proc.wait()
        self.exit_reason = self.exit_reason or self._death_note()
        for stream in self._streams.values():
            stream.put_nowait(None)

    def _streams_for(self, frame: wire.WorkerFrame) -> list[asyncio.Queue[wire.WorkerFrame | None]]:
        rid = getattr(frame, "request_id", None)
        slot = getattr(frame, "slot", None)
        if rid is None:
            return []
        if slot is None:  # an error about the whole request: every slot serving it
            return [q for (r, _), q in self._streams.items() if r == rid]
        stream = self._streams.get((rid, slot))
        return [stream] if stream is not None else []

    async def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        async for line in self._proc.stderr:
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _death_note(self) -> str:
        code = self._proc.returncode if self._proc else None
        note = f"worker process exited with code {code}"
        if code is not None and code < 0:
            note = f"worker process killed by signal {-code}"
        last = next((line for line in reversed(self.stderr_tail) if line.strip()), "")
        return f"{note}: {last}" if last else note

    async def _finish_tasks(self) -> None:
        for task in (self._reader, self._stderr_task):
            if task is not None and not task.done():
                try:
                    await asyncio.wait_for(task, 2.0)
                except (TimeoutError, asyncio.CancelledError):
                    task.cancel()
