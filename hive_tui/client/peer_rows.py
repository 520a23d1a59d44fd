"""The peers pane's rows from a node's peer views (``wire.PeerView``, as in ``/health``),
plus latency.

The federation protocol measures no round trips, so the app measures them itself: a ``GET
/health`` to each connected peer's API port (which every node serves, without a key), at most
every ``PROBE_EVERY_S`` per peer. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from hive_tui import wire
from hive_tui.client.core_types import PeerRecord

PROBE_EVERY_S = 5.0
PROBE_TIMEOUT_S = 1.5
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def host_port(url: str) -> str:
    """An address as every row writes it: host:port, without a scheme or a path."""
    return url.split("://", 1)[-1].split("/", 1)[0]


def split_host(address: str) -> str:
    """'1.2.3.4:5678' / '[::1]:5678' -> the host part."""
    if address.startswith("["):
        return address[1:].partition("]")[0]
    host, sep, _port = address.rpartition(":")
    return host if sep and ":" not in host else address


def api_address(row: wire.PeerView, seen_from: str | None = None) -> str:
    """Where the peer's API listens: the host it connected from and the port it announced.
    ``seen_from``: the host of the node whose view this is, when that node is not this machine
    (a peer it reaches on loopback is on *its* machine)."""
    host = split_host(row.address)
    if seen_from and host in LOOPBACK:
        host = seen_from
    port = row.api_port
    if not port:
        return row.address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def peer_state(row: wire.PeerView) -> str:
    if row.state != "connected":
        return row.state  # connecting, unreachable, lost, refused, conflict
    ready, total = row.workers_ready, row.workers
    if total and ready == total:
        return "ok"
    return "degraded" if ready else "unavailable"


def record(row: wire.PeerView, latency_ms: float | None, now: float,
           seen_from: str | None = None) -> PeerRecord:
    address = api_address(row, seen_from)
    seen = row.last_seen_s
    return PeerRecord(
        name=row.name or row.node_id or address,
        node_id=row.node_id or address,
        address=address,
        workers=row.workers,
        workers_ready=row.workers_ready,
        model=row.model,
        latency_ms=latency_ms,
        last_seen=now - seen if seen is not None else 0.0,
        state=peer_state(row),
    )


@dataclass
class Prober:
    """Round-trip times to peers' APIs, refreshed in the background, read without waiting."""

    _client: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(timeout=PROBE_TIMEOUT_S, trust_env=False))
    _latency: dict[str, float | None] = field(default_factory=dict)
    _probed_at: dict[str, float] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def latency(self, address: str) -> float | None:
        now = time.monotonic()
        if now - self._probed_at.get(address, -PROBE_EVERY_S) >= PROBE_EVERY_S:
            self._probed_at[address] = now
            task = asyncio.create_task(self._probe(address))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return self._latency.get(address)

    async def _probe(self, address: str) -> None:
        started = time.perf_counter()
        try:
            response = await self._client.get(f"http://{address}/health")
            response.raise_for_status()
        except httpx.HTTPError:
            self._latency[address] = None
            return
        self._latency[address] = (time.perf_counter() - started) * 1000

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self._client.aclose()


def records(rows: Sequence[wire.PeerView], prober: Prober,
            seen_from: str | None = None) -> list[PeerRecord]:
    now = time.time()
    out = []
    for row in rows:
        address = api_address(row, seen_from)
        connected = row.state == "connected"
        out.append(record(row, prober.latency(address) if connected else None, now, seen_from))
    return out


LINKED_STATES = ("ok", "degraded", "unavailable")  # a record of a node linked right now


@dataclass
class PeerMemory:
    """Nodes the app has seen linked, so one that stops stays on the pane, as lost.

    A node forgets a peer found by mDNS once it goes away, and shows a dialled one only by its
    address: the app keeps the last record of every linked node and, when the node no longer
    lists it, shows it with ``state`` "lost" and when that was noticed (``lost_at``).
    """

    _known: dict[str, PeerRecord] = field(default_factory=dict)

    def merge(self, current: Sequence[PeerRecord], now: float | None = None) -> list[PeerRecord]:
        now = time.time() if now is None else now
        for peer in current:
            if not peer.is_self and peer.state in LINKED_STATES:
                self._known[peer.node_id] = peer
        ids = {p.node_id for p in current}
        out = []
        for peer in current:
            # A dialled address that is down now, where a known node was: show the node.
            known = None if peer.state in LINKED_STATES else self._by_address(peer.address, ids)
            out.append(self._lost(known, peer.state, now) if known else peer)
        shown = {p.node_id for p in out}
        out += [self._lost(p, "lost", now) for p in list(self._known.values())
                if p.node_id not in shown]
        return out

    def _by_address(self, address: str, ids: set[str]) -> PeerRecord | None:
        return next((p for p in self._known.values()
                     if p.address == address and p.node_id not in ids), None)

    def _lost(self, peer: PeerRecord, state: str, now: float) -> PeerRecord:
        lost = dataclasses.replace(peer, state=state, latency_ms=None,
                                   lost_at=peer.lost_at or now)
        self._known[peer.node_id] = lost
        return lost
