"""``hive --connect URL``: the app's core, over HTTP, for a node started with ``hive --node``.

Events come from the node's ``GET /v1/hive/events`` stream (JSON-encoded ``wire.CoreEvent``s);
votes are asked for on the app's own typed route, ``POST /v1/hive/vote`` (a ``wire.VoteAsk``
with the request id the app chose, so the vote's events carry it; the answer a
``wire.VoteReply`` with the whole vote); worker state and the node's identity come from
``GET /health`` (a ``wire.NodeHealth``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import httpx
import msgspec

from hive_tui import wire
from hive_tui.api.host import ServeState
from hive_tui.client.core_types import CoreError, CoreInfo, PeerRecord
from hive_tui.client.peer_rows import PeerMemory, Prober, host_port, records, split_host
from hive_tui.federation.replies import result_from_reply
from hive_tui.node import SwarmRequest, VoteResult

RECONNECT_S = 1.0
HEALTH_TIMEOUT_S = 10.0


class QueueSource:
    """An ``EventSource`` over an asyncio queue fed by the stream reader."""

    def __init__(self, owner: RemoteCore) -> None:
        self._owner = owner
        self.queue: asyncio.Queue[wire.CoreEvent] = asyncio.Queue()

    async def get(self) -> wire.CoreEvent:
        return await self.queue.get()

    def get_nowait(self) -> wire.CoreEvent | None:
        try:
            return self.queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        self._owner._sources.discard(self)


def _info_from_health(url: str, health: wire.NodeHealth) -> CoreInfo:
    return CoreInfo(
        node_id=health.node_id,
        node_name=health.node_name,
        address=url,
        model=health.model,
        backend=health.backend,
        strategy=health.strategy,
        plan=tuple(health.plan),
    )


def _decode_health(response: httpx.Response) -> wire.NodeHealth:
    try:
        return msgspec.json.decode(response.content, type=wire.NodeHealth)
    except msgspec.DecodeError as exc:  # ValidationError included
        raise CoreError(f"{response.url} is not a hive node's /health: {exc}") from exc


@dataclass
class RemoteCore:
    url: str
    info: CoreInfo
    _client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=None))
    _sources: set[QueueSource] = field(default_factory=set)
    _reader: asyncio.Task[None] | None = None
    _latency_ms: float | None = None
    _peer_rows: list[wire.PeerView] = field(default_factory=list)
    _prober: Prober = field(default_factory=Prober)
    _peer_memory: PeerMemory = field(default_factory=PeerMemory)
    runs_tools = False  # tools run next to an embedded node only

    @classmethod
    async def connect(cls, url: str, api_key: str = "") -> RemoteCore:
        """Attach to a node; ``api_key`` is sent as a Bearer token (a node bound beyond
        loopback requires one on every route but /health)."""
        url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        try:  # with the key: a node that has one shows only its liveness without it
            async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_S, headers=headers) as client:
                response = await client.get(f"{url}/health")
                response.raise_for_status()
                health = _decode_health(response)
        except httpx.HTTPError as exc:
            raise CoreError(f"cannot reach a hive node at {url}: {exc}") from exc
        client = httpx.AsyncClient(timeout=None, headers=headers)
        return cls(url=url, info=_info_from_health(url, health), _client=client)

    async def start(self) -> None:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_events())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._prober.close()
        await self._client.aclose()

    async def serving(self) -> ServeState | None:
        return None

    def subscribe(self) -> QueueSource:
        source = QueueSource(self)
        self._sources.add(source)
        return source

    async def run(self, request: SwarmRequest) -> VoteResult:
        if request.seed is None:
            raise ValueError("an unresolved request: build it with resolve_request")
        ask = wire.VoteAsk(request.request_id, request.messages, request.params, request.seed,
                           request.strategy, request.workers, request.context, request.kb)
        try:
            response = await self._client.post(
                f"{self.url}{wire.VOTE_PATH}", content=msgspec.json.encode(ask),
                headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            raise CoreError(f"node {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text
            raise CoreError(message)
        try:
            return result_from_reply(msgspec.json.decode(response.content, type=wire.VoteReply))
        except msgspec.DecodeError as exc:
            raise CoreError(f"node {self.url} sent an answer without its vote: {exc}") from exc

    async def statuses(self) -> list[wire.WorkerStatus]:
        return (await self._health()).workers

    async def peers(self) -> list[PeerRecord]:
        try:
            statuses = await self.statuses()
        except CoreError:
            return [self._peer([], "unreachable", 0.0)]
        ready, state = wire.workers_ready(statuses), wire.node_state(statuses)
        node_host = split_host(host_port(self.url))
        return [
            self._peer(statuses, state, time.time(), ready),
            *self._peer_memory.merge(records(self._peer_rows, self._prober, seen_from=node_host)),
        ]

    def _peer(
        self, statuses: list[wire.WorkerStatus], state: str, seen: float, ready: int = 0
    ) -> PeerRecord:
        return PeerRecord(
            name=self.info.node_name,
            node_id=self.info.node_id,
            address=host_port(self.url),
            workers=len(statuses),
            workers_ready=ready,
            model=self.info.model,
            latency_ms=self._latency_ms,
            last_seen=seen,
            state=state,
        )

    async def _health(self) -> wire.NodeHealth:
        started = time.perf_counter()
        try:
            response = await self._client.get(f"{self.url}/health", timeout=HEALTH_TIMEOUT_S)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise CoreError(f"node {self.url} unreachable: {exc}") from exc
        self._latency_ms = (time.perf_counter() - started) * 1000
        health = _decode_health(response)
        self._peer_rows = health.peers
        return health

    # ------------------------------------------------------------------ event stream

    async def _read_events(self) -> None:
        while True:
            try:
                async with self._client.stream("GET", f"{self.url}/v1/hive/events") as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            self._deliver(wire.core_event_json_decoder.decode(line[6:]))
            except (httpx.HTTPError, msgspec.DecodeError):
                pass  # the node restarted or the network blinked: reconnect below
            await asyncio.sleep(RECONNECT_S)

    def _deliver(self, event: wire.CoreEvent) -> None:
        for source in list(self._sources):
            source.queue.put_nowait(event)
