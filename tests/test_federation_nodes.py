"""Federation over real sockets on 127.0.0.1: three nodes answer as one hive.

The origin runs in this process (so the test can watch its bus); the peers are real
`hive --node` processes with their own config and data folders. Scripted workers: these tests
are about the protocol, the vote and faults, not about the text."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
import uvicorn
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from hive_tui import wire
from hive_tui.api.app import create_app
from hive_tui.backends.scripted_engine import write_script
from hive_tui.config import load_settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from tests.conftest import NodeProcess, free_port

SECRET = "TESTS-HIVE0-SECRE-T0000-00001"
DEADLINE_S = 20.0


class Hive:
    def __init__(self, tmp_path, ports: list[int]) -> None:
        self.tmp_path = tmp_path
        self.ports = ports
        self.procs: dict[int, NodeProcess] = {}
        self.origin: Node | None = None
        self.server: uvicorn.Server | None = None
        self._serving: asyncio.Task | None = None

    def env(self, i: int, secret: str = SECRET) -> dict[str, str]:
        home = self.tmp_path / f"node{i}"
        return {
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "HIVE_SECRET": secret,
        }

    async def start_origin(
        self, answers: list[str], real_model: bool = False, peers: tuple[int, ...] = ()
    ) -> Node:
        script = write_script(
            str(self.tmp_path / "origin.json"), answers=answers, token_delay_s=0.01
        )
        settings = load_settings(
            {
                "backend": "llama" if real_model else "scripted",
                "model": None if real_model else script,
                "max_tokens": 24 if real_model else 512,
                "workers": len(answers),
                "threads": 1,
                "secret": SECRET,
                "vote_deadline_s": DEADLINE_S,
                "node_name": "origin",
                "peers": [f"127.0.0.1:{self.ports[i]}" for i in peers],
            },
            environ={},
        )
        node = Node(settings, make_plan(settings), node_id="node-0-origin")
        await node.start()
        config = uvicorn.Config(
            create_app(node),
            host="127.0.0.1",
            port=self.ports[0],
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.02)
        await node.join_federation("127.0.0.1", self.ports[0])
        self.origin = node
        return node

    async def start_peer(
        self,
        i: int,
        answers: list[str],
        peers: list[int],
        secret: str = SECRET,
        token_delay_s: float = 0.01,
        real_model: bool = False,
    ) -> NodeProcess:
        script = write_script(
            str(self.tmp_path / f"s{i}.json"), answers=answers, token_delay_s=token_delay_s
        )
        backend = (
            ["--backend", "llama"] if real_model else ["--backend", "scripted", "--model", script]
        )
        args = [
            "--port",
            str(self.ports[i]),
            *backend,
            "--workers",
            str(len(answers)),
            "--threads",
            "1",
        ]
        for p in peers:
            args += ["--peer", f"127.0.0.1:{self.ports[p]}"]
        proc = await asyncio.to_thread(NodeProcess, args, self.env(i, secret))
        await asyncio.to_thread(proc.wait_ready, len(answers))
        self.procs[i] = proc
        return proc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    async def wait_peers(self, n: int, timeout_s: float = 20.0) -> list[wire.PeerView]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            view = self.origin.federation.view()
            healthy = [p for p in view if p.state == "connected" and p.workers_ready]
            if len(healthy) == n:
                return view
            await asyncio.sleep(0.1)
        raise TimeoutError(f"expected {n} connected peers: {self.origin.federation.view()}")

    async def ask(self, client: httpx.AsyncClient, **extra) -> dict:
        body = {
            "model": "hive",
            "messages": [{"role": "user", "content": "capital of France?"}],
            "seed": 3,
            **extra,
        }
        r = await client.post(f"{self.url}/v1/chat/completions", json=body, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    async def stop(self) -> None:
        for proc in self.procs.values():
            await asyncio.to_thread(proc.stop)
        if self.server is not None:
            self.server.should_exit = True
            await self._serving
        if self.origin is not None:
            await self.origin.stop()


@pytest.fixture
async def hive(tmp_path):
    h = Hive(tmp_path, [free_port() for _ in range(4)])
    yield h
    await h.stop()


def node_id_of(proc: NodeProcess) -> str:
    return proc.health()["node_id"]


async def test_three_nodes_answer_as_one_hive(hive):
    origin = await hive.start_origin(["Paris.", "Paris.", "Rome."])
    p1 = await hive.start_peer(1, ["Paris.", "Paris."], peers=[0])
    p2 = await hive.start_peer(2, ["Lyon.", "Lyon."], peers=[0, 1])
    await hive.wait_peers(2)
    ids = {node_id_of(p1), node_id_of(p2), origin.node_id}
    assert len(ids) == 3  # separate data folders, separate ids

    with origin.bus.subscribe() as events:
        async with httpx.AsyncClient() as client:
            body = await hive.ask(client)
        seen = []
        while (e := events.get_nowait()) is not None:
            seen.append(e)

    vote = body["hive"]
    assert {n["node_id"] for n in vote["nodes"]} == ids
    assert all(n["state"] == "ok" and n["candidates"] for n in vote["nodes"])
    weights = {n["node_id"]: n["weight"] for n in vote["nodes"]}
    assert weights == {origin.node_id: 2, node_id_of(p1): 2, node_id_of(p2): 2}
    # Paris has 4 workers behind it across two nodes, Lyon 2 on one: Paris wins the hive vote.
    assert body["choices"][0]["message"]["content"] == "Paris."
    assert vote["winner_node"] in (origin.node_id, node_id_of(p1))
    assert vote["agreement"] == pytest.approx(4 / 6)
    assert vote["missing"] == [] and vote["degraded"] is False
    assert len(vote["candidates"]) == 3

    # Remote workers appear on the origin's bus as the same core events, node-qualified.
    remote = {e.candidate.worker_id for e in seen if isinstance(e, wire.CandidateDone)}
    assert {f"w0@{node_id_of(p1)}", f"w1@{node_id_of(p2)}", "w0"} <= remote
    assert any(
        isinstance(e, wire.TokenEvent) and e.worker_id.endswith(node_id_of(p2)) for e in seen
    )
    final = [e for e in seen if isinstance(e, wire.VoteDecided)][-1]
    assert {c.node_id for c in final.candidates} == ids

    # `hive peers --json` lists them by asking the node's API; /health shows them too.
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hive_tui", "peers", "--json", "--url", hive.url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    listed = json.loads(out.stdout)
    assert {p["node_id"] for p in listed if p["state"] == "connected"} == ids - {origin.node_id}
    health = p2.health()
    assert {p["node_id"] for p in health["peers"] if p["state"] == "connected"} == ids - {
        node_id_of(p2)
    }
    # The origin's /metrics: its two peers, and the federated vote counted once (it is
    # decided twice on the bus: locally, then across the hive).
    async with httpx.AsyncClient() as client:
        scraped = (await client.get(f"{hive.url}/metrics", timeout=10)).text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
    }
    assert samples[("hive_peers", (("state", "connected"),))] == 2
    assert samples[("hive_votes_total", (("outcome", "decided"),))] == 1


async def test_a_dead_peer_is_named_missing_and_rejoins_after_restart(hive):
    origin = await hive.start_origin(["Paris.", "Paris."])
    p1 = await hive.start_peer(1, ["Paris."], peers=[0])
    slow = " ".join(["word"] * 60)  # 60 tokens at 0.2 s: still generating when it is killed
    p2 = await hive.start_peer(2, [slow], peers=[0, 1], token_delay_s=0.2)
    await hive.wait_peers(2)
    victim = node_id_of(p2)

    async with httpx.AsyncClient() as client:
        with origin.bus.subscribe() as events:
            started = time.monotonic()
            asking = asyncio.create_task(hive.ask(client))
            while True:  # kill it once its tokens are flowing, i.e. mid-vote
                e = await asyncio.wait_for(events.get(), 15)
                if isinstance(e, wire.TokenEvent) and e.worker_id.endswith(victim):
                    break
            p2.proc.kill()
            body = await asyncio.wait_for(asking, DEADLINE_S)
        elapsed = time.monotonic() - started

        assert elapsed < DEADLINE_S
        vote = body["hive"]
        # It settled because the connection dropped, not because the deadline ran out.
        lost = next(n for n in vote["nodes"] if n["node_id"] == victim)
        assert lost["error"] == "connection lost during the vote", lost
        assert vote["missing"] == [victim] and vote["degraded"] is True
        states = {n["node_id"]: n["state"] for n in vote["nodes"]}
        assert states == {origin.node_id: "ok", node_id_of(p1): "ok", victim: "missing"}
        assert body["choices"][0]["message"]["content"] == "Paris."

        p2.proc.wait()
        # Same data folder and ports; nobody re-pairs anything: it dials back in by itself.
        await hive.start_peer(2, ["Lyon."], peers=[0, 1])
        await hive.wait_peers(2)
        body = await hive.ask(client)
        assert {n["node_id"]: n["state"] for n in body["hive"]["nodes"]}[victim] == "ok"
        assert body["hive"]["missing"] == []


async def test_a_node_with_the_wrong_secret_is_refused(hive):
    origin = await hive.start_origin(["Paris."])
    intruder = await hive.start_peer(3, ["Lyon."], peers=[0], secret="WRONG-SECRE-T0000")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        rows = intruder.health()["peers"]
        if rows and rows[0]["state"] == "refused":
            break
        await asyncio.sleep(0.2)
    assert rows[0]["state"] == "refused" and "authentication failed" in rows[0]["last_error"]
    assert origin.federation.peers.links == {}
    assert any("authentication failed" in r[2] for r in origin.federation.peers.refusals)

    # A machine whose data folder was copied from the origin's (same node id, and here the
    # same machine fingerprint, like a cloned VM) is refused with a message saying what to do.
    from hive_tui.federation.identity import MACHINE_FILE, machine_fingerprint

    data = hive.tmp_path / "node2" / "data" / "hive"
    data.mkdir(parents=True)
    (data / "node_id").write_text(origin.node_id + "\n")
    (data / MACHINE_FILE).write_text(machine_fingerprint() + "\n")
    twin = await hive.start_peer(2, ["Rome."], peers=[0])
    assert twin.health()["node_id"] == origin.node_id
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        rows = twin.health()["peers"]
        if rows and rows[0]["state"] == "conflict":
            break
        await asyncio.sleep(0.2)
    assert rows[0]["state"] == "conflict", rows
    error = rows[0]["last_error"]
    assert "node id collision" in error and "node_id" in error
    # The message covers both causes: a second node on this machine sharing the data folder
    # (give each its own) and a copied folder.
    assert "same data folder" in error and "--data-dir" in error and "copied" in error
    assert origin.federation.peers.links == {}

    async with httpx.AsyncClient() as client:
        body = await hive.ask(client)
    assert body["hive"]["nodes"] is None  # nobody to federate with: a plain local vote


async def test_frames_on_an_unauthenticated_connection_are_rejected(hive):
    origin = await hive.start_origin(["Paris."])
    generate = wire.PeerGenerate(
        "req-x", [wire.ChatMessage("user", "hi")], wire.SamplingParams(), "similarity", 1
    )
    attempts = [  # (say hello first?, message)
        (False, wire.encode_peer(generate)),  # a bare frame that needs authentication
        (False, wire.encode_peer(wire.PeerSealed(0, wire.encode_peer(generate), b"\0" * 32))),
        (True, wire.encode_peer(wire.PeerAuth("node-evil", b"\0" * 32))),  # a guessed proof
        (True, b"\xc1 not msgpack"),
    ]
    with origin.bus.subscribe() as events:
        for hello_first, data in attempts:
            async with connect(f"ws://127.0.0.1:{hive.ports[0]}/v1/hive/peer") as ws:
                hello = wire.decode_peer_link(await ws.recv())
                assert isinstance(hello, wire.PeerHello)
                if hello_first:
                    await ws.send(wire.encode_peer(wire.PeerHello(1, os.urandom(32))))
                await ws.send(data)
                reply = wire.decode_peer_link(await ws.recv())
                assert isinstance(reply, wire.PeerError) and reply.fatal
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    await ws.recv()
        assert events.get_nowait() is None  # nothing reached the swarm
    assert origin.federation.peers.links == {}
    assert len(origin.federation.peers.refusals) == len(attempts)


async def test_nodes_that_dial_each_other_keep_one_link(hive):
    origin = await hive.start_origin(["Paris."], peers=(1,))
    peer = await hive.start_peer(1, ["Paris."], peers=[0])
    await hive.wait_peers(1)
    await asyncio.sleep(2.5)  # both dial loops have had time to try again
    links = origin.federation.peers.links
    assert list(links) == [node_id_of(peer)]
    assert links[node_id_of(peer)].dialer_id == min(origin.node_id, node_id_of(peer))
    rows = [p for p in peer.health()["peers"] if p["node_id"] == origin.node_id]
    assert [r["state"] for r in rows] == ["connected"]  # one row: the link, no stray target
    async with httpx.AsyncClient() as client:
        body = await hive.ask(client)
    assert [n["state"] for n in body["hive"]["nodes"]] == ["ok", "ok"]


@pytest.mark.model
async def test_two_nodes_vote_with_the_real_model(hive):
    """The embedded model, one worker (one thread) per node: both local winners come back and
    the global winner is one of them."""
    origin = await hive.start_origin(["-"], real_model=True)
    peer = await hive.start_peer(1, ["-"], peers=[0], real_model=True)
    await hive.wait_peers(1, timeout_s=120)
    async with httpx.AsyncClient() as client:
        body = await hive.ask(
            client,
            messages=[{"role": "user", "content": "What is the capital of France? One word."}],
            max_tokens=16,
        )
    vote = body["hive"]
    nodes = {n["node_id"]: n for n in vote["nodes"]}
    assert set(nodes) == {origin.node_id, node_id_of(peer)}
    assert all(n["state"] == "ok" and len(n["candidates"]) == 1 for n in nodes.values())
    winners = {c["text"] for n in nodes.values() for c in n["candidates"] if c["winner"]}
    answer = body["choices"][0]["message"]["content"]
    assert answer.strip() and answer in winners
    assert vote["winner_node"] in nodes


async def test_a_request_with_tools_is_voted_by_the_node_that_asked(hive):
    """Tools stay on the node that asked: peers are never offered them, so the tool vote is
    this node's workers alone, whichever front end asked (here the API)."""
    origin = await hive.start_origin(["Paris.", "Paris."])
    await hive.start_peer(1, ["Lyon.", "Lyon."], peers=[0])
    await hive.wait_peers(1)
    tool = {
        "type": "function",
        "function": {"name": "lookup", "description": "look a city up", "parameters": {}},
    }
    async with httpx.AsyncClient() as client:
        body = await hive.ask(client, tools=[tool])
    vote = body["hive"]
    assert vote.get("nodes") is None  # a local vote, not a federated one
    assert {c["node_id"] for c in vote["candidates"]} == {origin.node_id}
    assert body["choices"][0]["message"]["content"] == "Paris."


async def test_a_text_frame_on_the_peer_channel_closes_with_1008(hive):
    await hive.start_origin(["Paris."])
    async with connect(f"ws://127.0.0.1:{hive.ports[0]}/v1/hive/peer") as ws:
        assert isinstance(wire.decode_peer_link(await ws.recv()), wire.PeerHello)
        await ws.send("hello in text")
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
