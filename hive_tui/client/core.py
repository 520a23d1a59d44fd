"""What the app talks to: a "core" that is either a node in this process or a remote one.

The app never touches a ``Node`` directly. It reads events from ``subscribe()``, asks for votes
with ``run()``, and polls ``statuses()``/``peers()`` for the panes. ``LocalCore`` wraps an
embedded node (``hive``); ``hive_tui.client.remote_core.RemoteCore`` speaks HTTP to one started
with ``hive --node`` (``hive --connect URL``). Nothing in this module imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from hive_tui import wire
from hive_tui.api.host import ServerHost, ServeState
from hive_tui.client.core_types import CoreError, CoreInfo, PeerRecord
from hive_tui.client.peer_rows import PeerMemory, Prober, records
from hive_tui.node import Node, SwarmError, SwarmRequest, VoteResult, token_bytes_bound

# What the app asks a core to vote on (built by ``CoreInfo.request``).
Request = SwarmRequest


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

    async def run(self, request: SwarmRequest) -> VoteResult:
        """Run one vote; its progress arrives as events tagged with ``request.request_id``,
        its result (for a federated vote a ``HiveResult``) is returned. Cancelling the
        awaiting task cancels the vote."""

    async def statuses(self) -> list[wire.WorkerStatus]: ...

    async def peers(self) -> list[PeerRecord]: ...

    async def serving(self) -> ServeState | None:
        """Once known: where this core's node serves the API and federation (None: remote)."""

    @property
    def runs_tools(self) -> bool:
        """Whether built-in tools can run here (only next to an embedded node)."""


@dataclass
class LocalCore:
    """The embedded node: the same ``Node`` as ``hive --node``, in this process and event loop.

    The node's work is asyncio I/O on pipes to worker child processes (generation happens in
    those children), so it shares the UI's loop without blocking it. With ``serve`` it also
    serves the API and federation on the configured host and port, as ``hive --node`` does.
    """

    node: Node
    serve: bool = False
    info: CoreInfo = field(init=False)
    runs_tools: bool = field(default=True, init=False)
    _starting: asyncio.Task[None] | None = field(default=None, init=False)
    _server: ServerHost | None = field(default=None, init=False)
    _serving: asyncio.Task[ServeState] | None = field(default=None, init=False)
    _prober: Prober = field(default_factory=Prober, init=False)
    _peer_memory: PeerMemory = field(default_factory=PeerMemory, init=False)

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
            min_p=s.min_p,
            max_context=p.n_ctx,
            token_bytes=token_bytes_bound(p.model_path),
            context=s.context or "compress",
        )

    async def start(self) -> None:
        if self._starting is None:
            self._starting = asyncio.create_task(self.node.start())
            if self.serve:
                self._server = ServerHost(self.node)
                self._serving = asyncio.create_task(self._server.start())

    async def serving(self) -> ServeState | None:
        if self._serving is None:
            return None
        return await asyncio.shield(self._serving)

    async def stop(self) -> None:
        for task in (self._starting, self._serving):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._server is not None:
            await self._server.stop()
        await self._prober.close()
        await self.node.stop()

    def subscribe(self) -> EventSource:
        return self.node.bus.subscribe()

    async def run(self, request: SwarmRequest) -> VoteResult:
        try:
            return await self.node.answer(request)  # a tool step stays on this node
        except SwarmError as exc:
            raise CoreError(str(exc)) from exc

    async def statuses(self) -> list[wire.WorkerStatus]:
        """This node's workers, then every linked peer's (ids as federation publishes them)."""
        statuses = self.node.swarm.statuses()
        federation = self.node.federation
        links = federation.peers.links.values() if federation is not None else ()
        for link in sorted(links, key=lambda ln: ln.node_id):
            for w in link.status.workers if link.status else ():
                statuses.append(msgspec.structs.replace(
                    w, worker_id=wire.remote_worker_id(w.worker_id, link.node_id),
                    node_id=link.node_id))
        return statuses

    def _address(self) -> str:
        url = self._server.state.url if self._server is not None else None
        return url.removeprefix("http://") if url else self.info.address

    async def peers(self) -> list[PeerRecord]:
        statuses = self.node.swarm.statuses()
        ready, state = wire.workers_ready(statuses), wire.node_state(statuses)
        return [
            PeerRecord(
                name=self.info.node_name,
                node_id=self.info.node_id,
                address=self._address(),
                workers=len(statuses),
                workers_ready=ready,
                model=self.info.model,
                latency_ms=None,
                last_seen=time.time(),
                state=state,
                is_self=True,
            ),
            *self._peer_memory.merge(records(
                self.node.federation.view() if self.node.federation else [], self._prober)),
        ]
