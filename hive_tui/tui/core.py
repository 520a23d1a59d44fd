"""What the app talks to: a "core" that is either a node in this process or a remote one.

The app never touches a ``Node`` directly. It reads events from ``subscribe()``, asks for votes
with ``run()``, and polls ``statuses()``/``peers()`` for the panes. ``LocalCore`` wraps an
embedded node (``hive``); ``hive_tui.tui.remote_core.RemoteCore`` speaks HTTP to one started
with ``hive --node`` (``hive --connect URL``). Nothing in this module imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Protocol

from hive_tui import wire
from hive_tui.node import Node
from hive_tui.swarm.swarm import SwarmError, SwarmRequest


class CoreError(Exception):
    """A vote could not be run (no worker ready, every worker failed, node unreachable)."""


@dataclass(frozen=True)
class CoreInfo:
    """Who we are talking to, for the status line and the peers pane."""

    node_id: str
    node_name: str
    address: str  # "in-process" or the URL given to --connect
    model: str
    backend: str
    strategy: str
    plan: tuple[str, ...] = ()
    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95


@dataclass(frozen=True)
class PeerRecord:
    """One node of the hive as the peers pane shows it (this node alone until federation)."""

    name: str
    node_id: str
    address: str
    workers: int
    workers_ready: int
    model: str
    latency_ms: float | None  # None: not measured (this node, in process)
    last_seen: float  # time.time() of the last contact
    state: str  # "ok" | "degraded" | "unavailable" | "unreachable"
    is_self: bool = False


class EventSource(Protocol):
    async def get(self) -> wire.CoreEvent: ...

    def get_nowait(self) -> wire.CoreEvent | None: ...

    def close(self) -> None: ...


class Core(Protocol):
    info: CoreInfo

    async def start(self) -> None:
        """Begin starting (workers load in the background); returns quickly."""

    async def stop(self) -> None: ...

    def subscribe(self) -> EventSource: ...

    async def run(self, request: SwarmRequest) -> None:
        """Run one vote; its progress arrives as events tagged with ``request.request_id``.
        Cancelling the awaiting task cancels the vote."""

    async def statuses(self) -> list[wire.WorkerStatus]: ...

    async def peers(self) -> list[PeerRecord]: ...


def node_state(statuses: list[wire.WorkerStatus]) -> tuple[int, str]:
    ready = sum(1 for s in statuses if s.state in ("idle", "generating"))
    if statuses and ready == len(statuses):
        return ready, "ok"
    return ready, "degraded" if ready else "unavailable"


@dataclass
class LocalCore:
    """The embedded node: the same ``Node`` as ``hive --node``, in this process and event loop.

    The node's work is asyncio I/O on pipes to worker child processes (generation happens in
    those children), so it shares the UI's loop without blocking it.
    """

    node: Node
    info: CoreInfo = field(init=False)
    _starting: asyncio.Task[None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        s, p = self.node.settings, self.node.plan
        self.info = CoreInfo(
            node_id=self.node.node_id,
            node_name=s.node_name,
            address="in-process",
            model=p.model_name,
            backend=p.backend,
            strategy=s.strategy,
            plan=(f"{p.workers} x {p.model_name} ({p.backend}), {p.threads} thread(s) each",
                  *p.reasons),
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            top_p=s.top_p,
        )

    async def start(self) -> None:
        if self._starting is None:
            self._starting = asyncio.create_task(self.node.start())

    async def stop(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._starting
        await self.node.stop()

    def subscribe(self) -> EventSource:
        return self.node.bus.subscribe()

    async def run(self, request: SwarmRequest) -> None:
        try:
            await self.node.answer(request)
        except SwarmError as exc:
            raise CoreError(str(exc)) from exc

    async def statuses(self) -> list[wire.WorkerStatus]:
        return self.node.swarm.statuses()

    async def peers(self) -> list[PeerRecord]:
        statuses = self.node.swarm.statuses()
        ready, state = node_state(statuses)
        return [
            PeerRecord(
                name=self.info.node_name,
                node_id=self.info.node_id,
                address=self.info.address,
                workers=len(statuses),
                workers_ready=ready,
                model=self.info.model,
                latency_ms=None,
                last_seen=time.time(),
                state=state,
                is_self=True,
            )
        ]
