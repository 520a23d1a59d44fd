"""``Federation``: a node's membership in a hive.

It answers requests as the *origin* (fan out to every healthy peer, run the local vote, collect
each node's local result until the deadline, run the global vote) and serves peers' requests
(run the local vote only, stream its progress back, send the local result). A request that
came from a peer is answered by the local swarm alone and never fanned out again, so requests
cannot loop. Remote workers' progress is republished on this node's bus as the same core
events as local workers', with worker ids qualified as ``worker@node``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass, field

import msgspec

from hive_tui import consensus, wire
from hive_tui.bus import Subscription
from hive_tui.config import config_dir, data_dir
from hive_tui.federation import vote
from hive_tui.federation.discovery import Discovery, discovery_allowed
from hive_tui.federation.identity import derive_key, pairing_code, resolve_secret
from hive_tui.federation.local import LocalNode
from hive_tui.federation.memory_sharing import MemorySharing
from hive_tui.federation.peers import Link, PeerManager
from hive_tui.federation.transport import Transport
from hive_tui.swarm.request import InvalidRequest, RequestDefaults, resolve_request
from hive_tui.swarm.swarm import SwarmError, SwarmRequest, VoteResult

log = logging.getLogger("hive.federation")

HEARTBEAT_S = 1.0
# A peer keeps generating at most this long past the origin's deadline before giving up itself.
SERVE_GRACE_S = 5.0
# The longest deadline a peer's request may ask for.
MAX_DEADLINE_S = 3600.0
BUSY = "the node is busy: too many requests queued"
_FORWARDED = (wire.WorkerStarted, wire.TokenEvent, wire.CandidateDone, wire.WorkerCrashed)


def parse_peer(spec: str, default_port: int = 8420) -> tuple[str, int]:
    """'host:port', '[v6]:port' or 'host' -> (host, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    host, sep, port = spec.rpartition(":")
    if not sep or ":" in host:
        return spec, default_port
    return host, int(port)


def peer_seed(seed: int, node_id: str) -> int:
    """Each node samples with its own seed derived from the request's: replayable, and nodes
    running the same model do not all produce the same candidates."""
    digest = hashlib.blake2b(f"hive-peer:{seed}:{node_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


@dataclass
class Round:
    """One federated request at its origin: who was asked, what came back."""

    request_id: str
    strategy: str
    asked: dict[str, str]  # node id -> name
    question: str = ""  # what the candidates answer (the strategies discount its wording)
    started: float = field(default_factory=time.monotonic)
    results: dict[str, vote.NodeVote] = field(default_factory=dict)
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def settle(self, node_vote: vote.NodeVote) -> None:
        """Record a node's part; the first one counts, whatever else the node sends later."""
        if node_vote.node_id in self.asked and node_vote.node_id not in self.results:
            self.results[node_vote.node_id] = node_vote
            if len(self.results) == len(self.asked):
                self.complete.set()

    def waiting_for(self, node_id: str) -> bool:
        return node_id in self.asked and node_id not in self.results


class Federation:
    def __init__(self, node: LocalNode, host: str, api_port: int) -> None:
        self.node = node
        settings = node.settings
        secret, created = resolve_secret(settings.secret, config_dir())
        # Shown once, when this node made the secret: the user copies it to other machines.
        self.new_pairing_code = pairing_code(secret) if created else None
        self.host = host
        self.api_port = api_port
        self.deadline_s = settings.vote_deadline_s
        self.peers = PeerManager(
            node.node_id,
            derive_key(secret),
            self._status,
            self._on_frame,
            self._on_down,
            heartbeat_s=HEARTBEAT_S,
        )
        self.discovery: Discovery | None = None
        self.sharing = MemorySharing(node, derive_key(secret), host, self.peers)
        self._rounds: dict[str, Round] = {}
        self._serving: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._worker_states: dict[tuple[str, str], str] = {}
        # Sends still under way (PeerCancel): held until done, the loop keeps weak references.
        self._sending: set[asyncio.Task[bool]] = set()

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        await self.sharing.start()
        for spec in self.node.settings.peers:
            host, port = parse_peer(spec)
            self.peers.add_target(host, port, "manual")
        if discovery_allowed(self.host):
            discovery = Discovery(self.node, self.peers, self.host, self.api_port)
            try:
                await discovery.start()
            except OSError as exc:  # no multicast here: manual peers still work
                log.warning("mDNS discovery unavailable (%s); use --peer HOST:PORT", exc)
                await discovery.stop()
                return
            self.discovery = discovery

    async def stop(self) -> None:
        if self.discovery is not None:
            await self.discovery.stop()
        for task in list(self._serving.values()):
            task.cancel()
        await self.peers.stop()
        await self.sharing.stop()

    async def accept(self, transport: Transport) -> None:
        await self.peers.accept(transport)

    def view(self) -> list[wire.PeerView]:
        return self.peers.view()

    def _status(self) -> wire.PeerStatus:
        node = self.node
        statuses = node.swarm.statuses()
        lend_port, lend_bytes = self.sharing.advertised()
        return wire.PeerStatus(
            node_id=node.node_id,
            name=node.settings.node_name,
            model=node.plan.model_name,
            backend=node.plan.backend,
            api_port=self.api_port,
            workers_ready=wire.workers_ready(statuses),
            workers=statuses,
            active_requests=len(self._serving) + len(self._rounds),
            lend_port=lend_port,
            lend_bytes=lend_bytes,
        )

    # ---------------------------------------------------------------- origin side

    async def answer(self, request: SwarmRequest) -> VoteResult:
        links = self.peers.healthy_links()
        if not links:
            return await self.node.swarm.run(request)
        seed = request.seed
        if seed is None:
            raise ValueError("an unresolved request: build it with node.resolve_request")
        rid = request.request_id
        question = consensus.question_of(request.messages)
        rnd = Round(rid, request.strategy, {ln.node_id: ln.name for ln in links}, question)
        self._rounds[rid] = rnd
        me = self.node.node_id
        try:
            for link in links:
                generate = wire.PeerGenerate(
                    rid,
                    request.messages,
                    request.params,
                    request.strategy,
                    peer_seed(seed, link.node_id),
                    request.workers,
                    self.deadline_s,
                    request.kb,
                )
                if not await link.send(generate):
                    rnd.settle(
                        vote.NodeVote(link.node_id, link.name, "missing", error="connection lost")
                    )
            started = time.perf_counter()
            try:
                local = await self.node.swarm.run(request)
                mine = vote.from_local(
                    me, self.node.settings.node_name, local, time.perf_counter() - started
                )
            except SwarmError as exc:
                mine = vote.NodeVote(me, self.node.settings.node_name, "error", error=str(exc))
            remaining = self.deadline_s - (time.monotonic() - rnd.started)
            if remaining > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rnd.complete.wait(), remaining)
        finally:
            del self._rounds[rid]
            for node_id in rnd.asked:
                if node_id not in rnd.results and (peer := self.peers.links.get(node_id)):
                    cancel = asyncio.create_task(peer.send(wire.PeerCancel(rid)))
                    self._sending.add(cancel)
                    cancel.add_done_callback(self._sending.discard)
        nodes = [mine] + [
            rnd.results.get(n)
            or vote.NodeVote(n, name, "missing", error=f"no result within {self.deadline_s:g} s")
            for n, name in sorted(rnd.asked.items())
        ]
        result = vote.combine(rid, request.strategy, nodes, seed, self.deadline_s, question)
        if result is None:
            message = "no node answered: " + "; ".join(f"{n.node_id}: {n.error}" for n in nodes)
            self.node.bus.publish(wire.RequestFailed(rid, message))
            raise SwarmError(message)
        self.node.bus.publish(
            wire.VoteDecided(
                rid, result.candidates, result.decision, result.degraded, result.missing
            )
        )
        return result

    def _on_down(self, link: Link) -> None:
        self.sharing.peers_changed()
        for rnd in self._rounds.values():
            if rnd.waiting_for(link.node_id):
                rnd.settle(
                    vote.NodeVote(
                        link.node_id, link.name, "missing", error="connection lost during the vote"
                    )
                )
        for (node_id, _rid), task in list(self._serving.items()):
            if node_id == link.node_id:  # nobody is left to read the answer
                task.cancel()
        for key, state in list(self._worker_states.items()):
            if key[0] == link.node_id:
                del self._worker_states[key]
                if state != "stopped" and link.status:
                    for w in link.status.workers:
                        if w.worker_id == key[1]:
                            self._publish_worker(link, msgspec.structs.replace(w, state="stopped"))

    def _on_frame(self, link: Link, frame: wire.PeerFrame) -> None:
        match frame:
            case wire.PeerGenerate():
                key = (link.node_id, frame.request_id)
                if key not in self._serving:
                    self._serving[key] = asyncio.create_task(self._serve(link, frame))
            case wire.PeerCancel(request_id=rid):
                if task := self._serving.get((link.node_id, rid)):
                    task.cancel()
            case wire.PeerProgress(request_id=rid, event=event):
                rnd = self._rounds.get(rid)
                if (
                    rnd
                    and rnd.waiting_for(link.node_id)
                    and getattr(event, "request_id", None) == rid
                ):
                    self._publish_remote(link, event)
            case wire.PeerLocalResult(request_id=rid):
                rnd = self._rounds.get(rid)
                if rnd and rnd.waiting_for(link.node_id):
                    latency = time.monotonic() - rnd.started
                    rnd.settle(
                        vote.from_peer(
                            link.node_id, link.name, frame, rnd.strategy, latency, rnd.question
                        )
                    )
            case wire.PeerError(request_id=rid, message=message) if rid is not None:
                rnd = self._rounds.get(rid)
                if rnd:
                    rnd.settle(vote.NodeVote(link.node_id, link.name, "error", error=message))
            case wire.PeerStatus(workers=workers):
                self.sharing.peers_changed()
                for w in workers:
                    key = (link.node_id, w.worker_id)
                    if self._worker_states.get(key) != w.state:
                        self._worker_states[key] = w.state
                        self._publish_worker(link, w)
            case _:
                log.debug("ignoring %s from %s", type(frame).__name__, link.node_id)

    def _publish_worker(self, link: Link, status: wire.WorkerStatus) -> None:
        peer = link.node_id
        status = msgspec.structs.replace(
            status, worker_id=wire.remote_worker_id(status.worker_id, peer), node_id=peer
        )
        self.node.bus.publish(wire.WorkerStateChanged(status))

    def _publish_remote(self, link: Link, event: wire.CoreEvent) -> None:
        """A remote worker's event, as the same core event with a node-qualified worker id."""
        peer = link.node_id
        replace = msgspec.structs.replace
        match event:
            case wire.WorkerStarted(worker_id=w):
                event = replace(event, worker_id=wire.remote_worker_id(w, peer), node_id=peer)
            case wire.TokenEvent(worker_id=w) | wire.WorkerCrashed(worker_id=w):
                event = replace(event, worker_id=wire.remote_worker_id(w, peer))
            case wire.CandidateDone(candidate=c):
                event = replace(
                    event,
                    candidate=replace(
                        c, worker_id=wire.remote_worker_id(c.worker_id, peer), node_id=peer
                    ),
                )
            case _:
                return
        self.node.bus.publish(event)

    # ---------------------------------------------------------------- peer side

    async def _run(self, request: SwarmRequest) -> VoteResult:
        if request.kb is None:
            return await self.node.swarm.run(request)
        # Only a shared knowledge base: retrieve checks before it opens one (from_peer).
        from hive_tui.retrieval.grounded_vote import grounded_vote

        return await grounded_vote(
            self.node.swarm.run, request, data_dir(self.node.settings.data_dir)
        )

    async def _serve(self, link: Link, generate: wire.PeerGenerate) -> None:
        """Answer a peer's request with the local swarm only (never fanned out again).

        A peer's request is checked like an API request (``resolve_request`` with this node's
        defaults, so max_tokens fits the context) and admitted through the same count as the
        API's requests (``max_queue``): an authenticated peer gets no more than a client."""
        rid = generate.request_id
        gate = self.node.admission
        if gate is not None and not gate.try_enter():
            await link.send(wire.PeerError(BUSY, rid))
            self._serving.pop((link.node_id, rid), None)
            return
        sub = self.node.bus.subscribe(lambda e: getattr(e, "request_id", None) == rid)
        forward = asyncio.create_task(self._forward(link, rid, sub))
        try:
            try:
                deadline = generate.deadline_s
                if not 0 < deadline <= MAX_DEADLINE_S:  # False for NaN too
                    raise InvalidRequest("deadline_s", f"{deadline!r} is not in (0, 3600]")
                params = generate.params
                request = resolve_request(
                    generate.messages,
                    RequestDefaults.from_settings(self.node.settings, self.node.plan.n_ctx),
                    strategy=generate.strategy,
                    seed=generate.seed,
                    workers=generate.workers,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    top_k=params.top_k,
                    min_p=params.min_p,
                    max_tokens=params.max_tokens,
                    stop=params.stop,
                    request_id=rid,
                    kb=generate.kb,
                    from_peer=True,
                )
                result = await asyncio.wait_for(self._run(request), deadline + SERVE_GRACE_S)
            except (SwarmError, consensus.UnknownStrategy, InvalidRequest, TimeoutError) as exc:
                await link.send(wire.PeerError(str(exc) or "timed out", rid))
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(forward), 2.0)
            await link.send(
                wire.PeerLocalResult(
                    rid,
                    self.node.node_id,
                    result.seed,
                    result.candidates,
                    result.decision,
                    result.degraded,
                    result.missing,
                    result.prompt_tokens,
                )
            )
        finally:
            forward.cancel()
            sub.close()
            self._serving.pop((link.node_id, rid), None)
            if gate is not None:
                gate.leave()

    @staticmethod
    async def _forward(link: Link, rid: str, sub: Subscription) -> None:
        while True:
            event = await sub.get()
            if isinstance(event, wire.VoteDecided | wire.RequestFailed):
                return
            if isinstance(event, _FORWARDED) and not await link.send(wire.PeerProgress(rid, event)):
                return
