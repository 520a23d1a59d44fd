"""Connections to peers: dialing with back-off, accepting, the handshake, heartbeats.

A *target* is an address someone proposed (``--peer``, the config, or mDNS); a *link* is an
authenticated connection to a node. Nothing but the handshake is sent on a connection before
the peer has proven it knows the hive secret. Targets are retried forever with exponential
back-off, so a peer that restarts rejoins without anyone doing anything.

Two nodes that dial each other at once end up with two connections; both sides keep the one
dialed by the node with the smaller node id and close the other, so they agree without talking.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from hive_tui import wire
from hive_tui.errors import HiveError
from hive_tui.federation.protocol import PeerProtocol, ProtocolViolation, Role
from hive_tui.federation.transport import (
    CLOSE_POLICY,
    ClientTransport,
    Transport,
    TransportClosed,
)

log = logging.getLogger("hive.federation")

HANDSHAKE_TIMEOUT_S = 5.0
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 10.0
# A link that stayed up this long was healthy: after it drops, retry quickly again.
STABLE_LINK_S = 5.0


class DuplicateLink(HiveError):
    """A second connection to a node we are already linked to; the loser of the tie-break."""


TargetState = wire.PeerState


@dataclass
class Link:
    """One authenticated connection to a peer node."""

    node_id: str
    remote: str
    direction: Literal["in", "out"]
    dialer_id: str
    protocol: PeerProtocol
    transport: Transport
    status: wire.PeerStatus | None = None
    connected_at: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def name(self) -> str:
        return self.status.name if self.status else self.node_id

    @property
    def healthy(self) -> bool:
        return self.status is not None and self.status.workers_ready > 0

    async def send(self, frame: wire.PeerFrame) -> bool:
        """Seal and send; False if the connection is gone. Shielded: a cancelled caller must
        not leave a sequence number used but its bytes unsent (the peer would see a gap)."""
        return await asyncio.shield(self._send(frame))

    async def _send(self, frame: wire.PeerFrame) -> bool:
        async with self._lock:
            try:
                self.protocol.send(frame)
                for data in self.protocol.data_to_send():
                    await self.transport.send(data)
            except (TransportClosed, ProtocolViolation):
                return False
            return True


@dataclass
class Target:
    host: str
    port: int
    source: str  # "manual" | "mdns"
    node_id: str | None = None
    state: TargetState = "connecting"
    last_error: str | None = None
    retry_in_s: float = 0.0
    task: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class PeerManager:
    def __init__(
        self,
        node_id: str,
        key: bytes,
        status: Callable[[], wire.PeerStatus],
        on_frame: Callable[[Link, wire.PeerFrame], None],
        on_down: Callable[[Link], None],
        heartbeat_s: float = 1.0,
    ) -> None:
        self.node_id = node_id
        self.key = key
        self._status = status
        self._on_frame = on_frame
        self._on_down = on_down
        self.heartbeat_s = heartbeat_s
        self.links: dict[str, Link] = {}
        self.targets: dict[str, Target] = {}
        self.refusals: deque[tuple[float, str, str]] = deque(maxlen=16)
        self._own_nonces: set[bytes] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def dead_after_s(self) -> float:
        return 3 * self.heartbeat_s + 1.0

    # ---------------------------------------------------------------- targets

    def add_target(self, host: str, port: int, source: str, node_id: str | None = None) -> None:
        key = f"{host}:{port}"
        target = self.targets.get(key)
        if target is None:
            target = self.targets[key] = Target(host, port, source, node_id)
            target.task = asyncio.create_task(self._dial_loop(target))
        elif node_id:
            target.node_id = node_id

    def remove_target(self, host: str, port: int) -> None:
        target = self.targets.pop(f"{host}:{port}", None)
        if target and target.task:
            target.task.cancel()

    def healthy_links(self) -> list[Link]:
        return sorted((ln for ln in self.links.values() if ln.healthy), key=lambda ln: ln.node_id)

    # ---------------------------------------------------------------- connections

    async def accept(self, transport: Transport) -> None:
        """Serve one incoming connection until it ends (called by the websocket route)."""
        if self._stopping:
            await transport.close()
            return
        await self._run(transport, "listener", None)

    async def _dial_loop(self, target: Target) -> None:
        delay = BACKOFF_INITIAL_S
        while not self._stopping:
            if target.node_id in self.links:  # already linked (it dialed us, or another address)
                target.state, target.retry_in_s = "connected", 0.0
                await asyncio.sleep(self.heartbeat_s)
                continue
            try:
                transport = await ClientTransport.dial(target.host, target.port)
            except TransportClosed as exc:
                target.last_error = str(exc)
                target.state = "lost" if target.state in ("connected", "lost") else "unreachable"
            else:
                opened_at = time.monotonic()
                if await self._run(transport, "dialer", target) and (
                    time.monotonic() - opened_at > STABLE_LINK_S
                ):
                    delay = BACKOFF_INITIAL_S
            if target.state == "self":
                return
            target.retry_in_s = delay
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _run(self, transport: Transport, role: Role, target: Target | None) -> bool:
        """Handshake, then serve frames until the connection ends; True if it had opened."""
        proto = PeerProtocol(self.key, self.node_id, role)
        self._own_nonces.add(proto.nonce)
        link: Link | None = None
        heartbeat: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                await self._flush(proto, transport)
                while not proto.is_open:
                    proto.receive(await transport.recv())
                    await self._flush(proto, transport)
            link = self._admit(proto, transport, role, target)
            if link is None:
                return False
            if target is not None:
                target.state, target.node_id, target.last_error = "connected", link.node_id, None
            log.info("peer %s connected (%s, %s)", link.node_id, link.direction, link.remote)
            await link.send(self._status())
            heartbeat = asyncio.create_task(self._heartbeat(link))
            await self._serve(link)
            return True
        except DuplicateLink:
            with contextlib.suppress(Exception):
                proto.send(wire.PeerBye("duplicate connection"))
                await self._flush(proto, transport)
            return False
        except ProtocolViolation as exc:
            reason = str(exc)
            self._note_failure(target, transport, reason, refused=not proto.is_open)
            with contextlib.suppress(Exception):
                if (data := proto.fail(reason)) is not None:
                    await transport.send(data)
            await transport.close(CLOSE_POLICY, reason)
            return link is not None
        except (TransportClosed, TimeoutError) as exc:
            reason = str(exc) or ("handshake timed out" if link is None else "peer went silent")
            self._note_failure(target, transport, reason, refused=False)
            return link is not None
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            self._own_nonces.discard(proto.nonce)
            if link is not None and self.links.get(link.node_id) is link:
                del self.links[link.node_id]
                log.warning("peer %s lost", link.node_id)
                self._on_down(link)
            await transport.close()

    def _admit(
        self, proto: PeerProtocol, transport: Transport, role: Role, target: Target | None
    ) -> Link | None:
        peer = proto.peer_node_id or ""
        if proto.peer_nonce in self._own_nonces:  # we dialed ourselves (mDNS or a --peer)
            if target is not None:
                target.state, target.node_id = "self", self.node_id
            return None
        if peer == self.node_id:
            raise ProtocolViolation(
                f"node id collision: another node also calls itself {peer}. Either it runs on "
                "this machine with the same data folder (start each node with its own: "
                "--data-dir DIR or HIVE_DATA_DIR), or one data folder was copied from the "
                "other's (delete the node_id file in one of them and restart that node)."
            )
        dialer = self.node_id if role == "dialer" else peer
        existing = self.links.get(peer)
        if existing is not None:
            keep_new = existing.dialer_id != dialer and dialer == min(self.node_id, peer)
            if not keep_new:
                if target is not None:
                    target.node_id = peer
                raise DuplicateLink(peer)
            retire = asyncio.create_task(self._retire(existing))
            self._tasks.add(retire)  # held until done: the event loop keeps only a weak reference
            retire.add_done_callback(self._tasks.discard)
        link = Link(
            peer, transport.remote, "out" if role == "dialer" else "in", dialer, proto, transport
        )
        self.links[peer] = link
        return link

    async def _retire(self, link: Link) -> None:
        await link.send(wire.PeerBye("duplicate connection"))
        await link.transport.close()

    async def _serve(self, link: Link) -> None:
        while True:
            data = await asyncio.wait_for(link.transport.recv(), self.dead_after_s)
            frame = link.protocol.receive(data)
            link.last_seen = time.monotonic()
            match frame:
                case None:  # only handshake steps return None, and the handshake is over
                    continue
                case wire.PeerStatus():
                    link.status = frame
                    self._on_frame(link, frame)
                case wire.PeerBye(reason=reason):
                    log.info("peer %s said bye: %s", link.node_id, reason)
                    return
                case wire.PeerError(fatal=True, message=message):
                    raise TransportClosed(f"peer error: {message}")
                case _:
                    self._on_frame(link, frame)

    async def _heartbeat(self, link: Link) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if not await link.send(self._status()):
                return

    @staticmethod
    async def _flush(proto: PeerProtocol, transport: Transport) -> None:
        for data in proto.data_to_send():
            await transport.send(data)

    def _note_failure(
        self, target: Target | None, transport: Transport, reason: str, refused: bool
    ) -> None:
        if refused:
            self.refusals.append((time.time(), transport.remote, reason))
            log.warning("refused peer connection %s: %s", transport.remote, reason)
        if target is None:
            return
        target.last_error = reason
        if "node id collision" in reason:
            target.state = "conflict"
            log.error("%s: %s", target.address, reason)
        elif refused:
            target.state = "refused"
        elif target.state != "self":
            target.state = "lost"

    # ---------------------------------------------------------------- lifecycle and views

    async def stop(self) -> None:
        self._stopping = True
        for target in self.targets.values():
            if target.task:
                target.task.cancel()
        links = list(self.links.values())
        await asyncio.gather(
            *(ln.send(wire.PeerBye("node stopping")) for ln in links), return_exceptions=True
        )
        await asyncio.gather(*(ln.transport.close() for ln in links), return_exceptions=True)

    def view(self) -> list[wire.PeerView]:
        """What /health and the peers pane show: linked nodes, then targets not linked."""
        now = time.monotonic()
        rows: list[wire.PeerView] = []
        for link in sorted(self.links.values(), key=lambda ln: ln.node_id):
            s = link.status
            rows.append(
                wire.PeerView(
                    node_id=link.node_id,
                    name=link.name,
                    state="connected",
                    address=link.remote,
                    direction=link.direction,
                    model=s.model if s else "",
                    backend=s.backend if s else "",
                    api_port=s.api_port if s else 0,
                    workers_ready=s.workers_ready if s else 0,
                    workers=len(s.workers) if s else 0,
                    active_requests=s.active_requests if s else 0,
                    connected_s=round(now - link.connected_at, 1),
                    last_seen_s=round(now - link.last_seen, 2),
                )
            )
        for target in self.targets.values():
            if target.node_id in self.links or target.state == "self":
                continue
            rows.append(
                wire.PeerView(
                    node_id=target.node_id,
                    name="",
                    state=target.state,
                    address=target.address,
                    source=target.source,
                    last_error=target.last_error,
                    retry_in_s=target.retry_in_s,
                )
            )
        return rows
